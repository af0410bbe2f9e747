// The desk's print view opens the browser's print dialog once the page is shown.
(function () {
  "use strict";
  if (document.getElementById("desk") && document.getElementById("desk").classList.contains("print")) {
    window.addEventListener("load", function () { window.print(); });
  }
})();
