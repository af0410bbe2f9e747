// Huifang: directors are told at once about complaints (opened, reopened, overdue) on any
// page they have open, the wallboard included: a notice connection (WebSocket view=notify)
// and a box per notice, with a link to the complaint. docs/console-protocol.md.
(function () {
  "use strict";
  var box = document.getElementById("notices");
  if (!box || !window.WebSocket) return;
  var M = JSON.parse(document.getElementById("msgs").textContent);
  function T(k) { return M[k] || k; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var backoff = 1000;
  function show(n, href) {
    var d = el("div", "notice n-" + n.kind + (n.severity === "serious" ? " serious" : ""));
    d.dataset.complaint = n.complaint_id;
    d.setAttribute("role", "alert");
    var title = T("cn." + n.kind) + (n.severity === "serious" ? "（" + T("cn.serious") + "）" : "");
    d.appendChild(el("strong", null, title));
    var cat = M["cc." + n.category] || n.category;
    d.appendChild(el("div", null, n.customer + " · " + cat + (n.description ? " · " + n.description : "")));
    d.appendChild(el("div", "muted", T("cn.owner") + "：" + (n.owner || "—")));
    var a = el("a", "button", T("cn.open"));
    a.href = href;
    d.appendChild(a);
    var x = el("button", "link", T("cn.close"));
    x.type = "button";
    x.addEventListener("click", function () { d.remove(); });
    d.appendChild(x);
    box.prepend(d);
    while (box.children.length > 5) box.lastChild.remove();
  }
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?view=notify");
    ws.onopen = function () { backoff = 1000; box.dataset.connected = "1"; };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "complaint" && m.notice) show(m.notice, m.href);
    };
    ws.onclose = function () {
      box.dataset.connected = "";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  connect();
})();
