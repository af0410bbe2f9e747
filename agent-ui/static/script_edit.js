// The script editor: inserts variables at the cursor and keeps a live preview. The
// server checks and renders the script (POST /scripts/{campaign}/preview); every text
// it returns is plain text and is shown with textContent, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("script-form");
  if (!form) return;
  var last = form.querySelector("textarea[data-vars]");

  form.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("textarea[data-vars]")) last = e.target;
  });
  document.getElementById("script-vars").addEventListener("click", function (e) {
    var b = e.target.closest("button[data-insert]");
    if (!b || !last) return;
    var v = b.getAttribute("data-insert");
    var s = last.selectionStart, t = last.selectionEnd;
    last.value = last.value.slice(0, s) + v + last.value.slice(t);
    last.focus();
    last.selectionStart = last.selectionEnd = s + v.length;
    schedule();
  });

  function el(tag, text, id) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (id) e.id = id;
    return e;
  }
  function say(text, id) { var d = el("div", text, id); d.className = "say"; return d; }

  function show(res) {
    var probs = document.getElementById("preview-problems");
    probs.replaceChildren();
    (res.problems || []).forEach(function (p) { probs.appendChild(el("li", p.msg)); });
    var box = document.getElementById("preview");
    if (!res.preview) return; // keep the last good preview next to the problems
    var p = res.preview;
    box.replaceChildren();
    box.appendChild(el("h3", "开场白"));
    box.appendChild(say(p.opening, "pv-opening"));
    p.reminders.forEach(function (r) {
      box.appendChild(el("h3", "提醒内容"));
      box.appendChild(say(r.text, "pv-reminder"));
    });
    box.appendChild(el("h3", "问题"));
    var ol = el("ol", undefined, "pv-questions");
    p.questions.forEach(function (q) { ol.appendChild(el("li", q.text)); });
    box.appendChild(ol);
    box.appendChild(el("h3", "结束语"));
    box.appendChild(say(p.closing, "pv-closing"));
  }

  var timer = null, seq = 0;
  function refresh() {
    var mine = ++seq;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-preview"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (res) {
      if (mine === seq) show(res);
    }).catch(function () {
      if (mine !== seq) return;
      var probs = document.getElementById("preview-problems");
      probs.replaceChildren(el("li", "预览暂时不可用（网络或登录已过期），保存时仍会检查。"));
    });
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  document.getElementById("preview-sample").addEventListener("change", schedule);
})();
