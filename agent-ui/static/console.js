// Huifang agent console. Plain JavaScript, no build step. All state comes from the
// server over the WebSocket; timers shown here are the server's numbers.
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("msgs").textContent);
  var lang = document.body.dataset.lang;
  function T(k) { return M[k] || k; }
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function newID() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function fmtSecs(s) {
    s = s || 0;
    var m = Math.floor(s / 60), r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  var ws = null, backoff = 500, state = null, hello = null, shownTask = 0;
  var clientID = null;
  // askedLow: the low-score question was asked for this form (lowScore).
  var askedLow = false;
  // pending is an outcome sent but not yet confirmed; it is sent again after a reconnect
  // with the same client id, and the server saves it once.
  var pending = null;
  try { pending = JSON.parse(sessionStorage.getItem("huifang.pending") || "null"); } catch (e) { pending = null; }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(msg)); return true; }
    return false;
  }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    ws = new WebSocket(url);
    ws.onopen = function () {
      backoff = 500;
      $("conn").textContent = "●";
      $("conn").className = "conn on";
      if (pending) send(pending);
      window.HuifangPhone.reconnected();
    };
    ws.onclose = function () {
      $("conn").textContent = "●";
      $("conn").className = "conn off";
      setNotice(T("notice.offline"));
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
    ws.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      switch (m.type) {
        case "hello": onHello(m); break;
        case "rtc_answer": case "rtc_error": window.HuifangPhone.onMessage(m); break;
        case "state": onState(m); break;
        case "tick": onTick(m); break;
        case "saved": onSaved(m); break;
        case "undone": onUndone(m); break;
        case "error":
          // A value that cannot be written back: the server's words name the field.
          setNotice(m.code === "writeback" ? T("err.writeback") + "：" + m.message : (M["err." + m.code] || m.message), true);
          if (m.code === "writeback" && m.field && $(fieldInput[m.field] || "")) $(fieldInput[m.field]).focus();
          if (pending && m.client_id === pending.client_id) { pending = null; savePending(); enableSave(true); }
          break;
      }
    };
  }

  function savePending() {
    try { sessionStorage.setItem("huifang.pending", JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function setNotice(text, bad) {
    var n = $("notice");
    n.textContent = text || "";
    n.className = "notice" + (bad ? " bad" : "");
  }

  function fillSelect(sel, items, prefix) {
    sel.textContent = "";
    items.forEach(function (k) { var o = el("option", null, T(prefix + k)); o.value = k; sel.appendChild(o); });
  }

  function onHello(m) {
    hello = m;
    var code = $("f-code");
    code.textContent = "";
    code.appendChild(el("option", null, "—")).value = "";
    // Number keys 1-9 and 0 choose the first ten outcomes in wrap-up (see keydown).
    m.outcome_codes.forEach(function (c, i) {
      var key = i < 9 ? String(i + 1) : (i === 9 ? "0" : "");
      var o = el("option", null, (key ? key + " " : "") + (lang === "en" ? c.label_en : c.label_zh));
      o.value = c.code;
      o.dataset.key = key;
      o.dataset.effect = c.effect;
      if (c.reached) o.dataset.reached = "1";
      code.appendChild(o);
    });
    fillSelect($("f-complaint"), [""].concat(m.complaint_categories), "cc.");
    $("f-complaint").options[0].textContent = "—";
    fillSelect($("skip-reason"), [""].concat(m.skip_reasons), "sr.");
    $("skip-reason").options[0].textContent = T("skip.choose");
    fillSelect($("pause-reason"), m.pause_reasons, "pr.");
    showWhen();
    window.HuifangPhone.hello(m.web_phone);
    if (state) window.HuifangPhone.status(state.status, state.phase);
  }

  var prevPhase = "";
  function onState(m) {
    state = m;
    window.HuifangPhone.status(m.status, m.phase);
    $("status").textContent = T("status." + m.status) + (m.pause_reason ? " · " + T("pr." + m.pause_reason) : "");
    $("status").className = "status s-" + m.status;
    $("phase").textContent = T("phase." + m.phase);
    $("phase").className = "phase p-" + m.phase;
    $("mode").value = m.mode;
    var notice = "";
    if (m.notice) notice = T("notice." + m.notice) + (m.notice_until ? " " + m.notice_until : "");
    if (m.task && m.task.flagged) notice = (notice ? notice + " · " : "") + T("notice.flagged");
    setNotice(notice, m.notice === "dial_failed" || m.notice === "take_failed" || m.notice === "phone_offline" || m.notice === "call_lost");
    var taskID = m.task ? m.task.id : 0;
    if (taskID !== shownTask) {
      shownTask = taskID;
      renderTask(m.task);
    }
    onTick(m);
    // Only a call's wrap-up saves an outcome; a call nobody answered offers only the
    // outcomes that do not say the customer was reached (the server refuses them anyway).
    var p = m.phase, answered = !!(m.call && m.call.answered);
    $("f-code").querySelectorAll("option[data-reached]").forEach(function (o) {
      o.disabled = p === "wrapup" && !answered;
      if (o.disabled && o.selected) $("f-code").value = "";
    });
    $("f-dnc").disabled = p === "wrapup" && !answered;
    if (m.call && m.call.state === "ended" && resultCode[m.call.result] && suggested !== m.task.id + m.call.result && !$("f-code").value) {
      suggested = m.task.id + m.call.result;
      $("f-code").value = resultCode[m.call.result];
      showWhen();
    }
    $("btn-ready").disabled = m.status === "ready";
    $("btn-pause").disabled = m.status === "paused";
    $("btn-call").disabled = !(p === "preview" || p === "countdown");
    $("btn-skip").disabled = !(p === "preview" || p === "countdown");
    $("btn-hangup").disabled = p !== "call";
    $("form-hint").hidden = !(p === "preview" || p === "countdown");
    showWhen();
    // After the call, the keyboard is on the outcome (number keys choose it).
    if (p === "wrapup" && prevPhase !== "wrapup" && !$("skip-dialog").open) $("f-code").focus();
    if (p !== "preview" && p !== "countdown" && $("skip-dialog").open) $("skip-dialog").close();
    prevPhase = p;
    $("timer").dataset.answered = answered ? "1" : "";
    enableSave(!!m.task && p === "wrapup" && !pending);
  }

  // A call that ended unanswered suggests the matching outcome.
  var resultCode = { busy: "busy", declined: "busy", no_answer: "no_answer", unreachable: "switched_off", invalid_number: "no_such_number" };
  var suggested = "";

  function onTick(m) {
    var parts = [];
    if (m.phase === "countdown") parts.push(m.countdown + " " + T("countdown"));
    if (m.call) {
      parts.push(T("call." + m.call.state) + " " + fmtSecs(m.call.secs));
      if (m.call.talk_secs !== undefined) parts.push(T("call.talk") + " " + fmtSecs(m.call.talk_secs));
      if (m.call.state === "ended" && m.call.result) parts.push(T("call.result") + ": " + (M["cr." + m.call.result] || m.call.result));
    }
    $("timer").textContent = parts.join(" · ");
    $("timer").dataset.callState = m.call ? m.call.state : "";
  }

  // flash shows a confirmation next to the notices for a while (the next task's state
  // does not overwrite it).
  var flashTimer = null;
  function flash(text, ms) {
    $("flash-text").textContent = text;
    $("flash").hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { $("flash").hidden = true; }, ms || 8000);
  }

  var fieldInput = { mileage: "f-mileage", vehicle_id: "f-vehicle" };

  function onSaved(m) {
    var what = "";
    if (pending && m.client_id === pending.client_id) {
      what = pending.label || "";
      pending = null;
      savePending();
    }
    flash(T("notice.saved") + (what ? "：" + what : ""), m.undo_secs ? m.undo_secs * 1000 : 8000);
    if (m.undo_until && !m.again) showUndo(m.client_id, Date.parse(m.undo_until));
  }

  // The last saved outcome may be undone until undoUntil (the server checks it again):
  // the button (or Ctrl+Z) sends undo with its client id.
  var undoID = null, undoUntil = 0, undoTimer = null;
  function showUndo(id, until) {
    undoID = id; undoUntil = until;
    clearInterval(undoTimer);
    function upd() {
      var left = Math.ceil((undoUntil - Date.now()) / 1000);
      if (left <= 0) { hideUndo(); return; }
      $("undo-secs").textContent = left + "s";
      $("btn-undo").hidden = false;
    }
    upd();
    undoTimer = setInterval(upd, 1000);
  }
  function hideUndo() { undoID = null; clearInterval(undoTimer); $("btn-undo").hidden = true; }
  function undo() {
    if (!undoID || $("btn-undo").hidden) return;
    send({ type: "undo", client_id: undoID });
  }
  function onUndone(m) {
    hideUndo();
    flash(T("notice.undone"));
    shownTask = -1; // the task comes back: its card and a fresh form
  }

  function enableSave(on) { $("btn-save").disabled = !on; }

  function section(title) {
    var s = el("div", "sec");
    s.appendChild(el("h3", null, title));
    return s;
  }

  function renderTask(t) {
    var card = $("card"), script = $("script");
    card.textContent = "";
    script.textContent = "";
    $("outcome").reset();
    $("f-questions").textContent = "";
    clientID = t ? newID() : null;
    askedLow = false;
    showWhen();
    if (!t) return;
    var c = t.card;
    card.dataset.taskId = t.id;
    card.appendChild(el("h2", "cust", c.salutation + "（" + c.name + "）"));
    var dl = el("dl");
    function row(k, v) { dl.appendChild(el("dt", null, k)); dl.appendChild(el("dd", null, v === "" || v === null || v === undefined ? T("card.none") : v)); }
    row(T("card.phone"), c.phone);
    if (c.grade) row(T("card.grade"), M["grade." + c.grade] || c.grade);
    if (c.consultant) row(T("card.consultant"), c.consultant);
    row(T("card.attempts"), t.attempts);
    card.appendChild(dl);

    // A complaint comes first, with its story: what it was, who handles it, how it was
    // answered and resolved (issue 17 item 7); category names as on the outcome form.
    if (c.complaints.length) {
      var ks = section(T("card.complaint_story"));
      ks.id = "card-complaints";
      c.complaints.forEach(function (x) {
        var k = el("div", "complaint" + (x.serious ? " serious" : ""));
        k.dataset.complaint = x.id;
        k.appendChild(el("p", "bad", [x.opened_on, M["cc." + x.category] || x.category, T("card.ks." + x.status),
          x.serious ? T("card.k_serious") : ""].join(" ").trim()));
        var kd = el("dl");
        function krow(key, v) { if (v) { kd.appendChild(el("dt", null, T(key))); kd.appendChild(el("dd", null, v)); } }
        krow("card.k_said", x.description);
        krow("card.k_owner", x.owner);
        krow("card.k_response", x.response);
        krow("card.k_resolution", x.resolution);
        krow("card.k_resolved_at", x.resolved_at);
        k.appendChild(kd);
        ks.appendChild(k);
      });
      card.appendChild(ks);
    }

    var rs = section(T("card.reasons"));
    var ul = el("ul", "reasons");
    (t.reasons || []).forEach(function (r) { ul.appendChild(el("li", null, r)); });
    rs.appendChild(ul);
    var tags = el("p", "tags");
    (t.campaigns || []).forEach(function (cc) { tags.appendChild(el("span", "tag", T("c." + cc))); });
    rs.appendChild(tags);
    card.appendChild(rs);

    var vs = section(T("card.vehicles"));
    if (!c.vehicles.length) vs.appendChild(el("p", null, T("card.none")));
    c.vehicles.forEach(function (v) {
      vs.appendChild(el("p", v.active ? "" : "muted", [v.plate, v.brand, v.model, v.delivery_day ? T("card.delivery") + " " + v.delivery_day : ""].join(" ")));
    });
    card.appendChild(vs);

    var vis = section(T("card.visits"));
    if (!c.visits.length) vis.appendChild(el("p", null, T("card.none")));
    c.visits.forEach(function (v) {
      vis.appendChild(el("p", null, [v.day, v.label || v.kind, v.plate, v.mileage ? v.mileage + " km" : ""].join(" ")));
    });
    card.appendChild(vis);

    var calls = section(T("card.calls"));
    if (!c.calls.length) calls.appendChild(el("p", null, T("card.none")));
    c.calls.forEach(function (x) {
      calls.appendChild(el("p", null, [x.at, lang === "en" ? x.label_en : x.label_zh, x.agent, x.notes].join(" ")));
    });
    card.appendChild(calls);

    var ch = section(T("card.changes"));
    if (!c.changes || !c.changes.length) ch.appendChild(el("p", null, T("card.none")));
    (c.changes || []).forEach(function (x) {
      var v = function (y) { return y === null || y === undefined || y === "" ? "-" : (x.field === "prospect_status" && M["ps." + y] ? T("ps." + y) : String(y)); };
      var what = x.field === "undo" ? T("chg.undo") + " " + (x.code || "")
        : x.field === "vehicle_active" || x.field === "moved_away_on" ? T("chg." + x.field) + (x.plate ? " " + x.plate : "")
        : T("chg." + x.field) + (x.plate ? " " + x.plate : "") + " " + v(x.from) + " → " + v(x.to);
      ch.appendChild(el("p", null, [x.at, what, x.by].join(" ")));
    });
    card.appendChild(ch);

    renderScript(t.script);
    var vsel = $("f-vehicle");
    vsel.textContent = "";
    c.vehicles.filter(function (v) { return v.active; }).forEach(function (v) {
      var o = el("option", null, [v.plate, v.brand, v.model].join(" ").trim() || v.vin);
      o.value = v.id;
      vsel.appendChild(o);
    });
  }

  // versionWords writes "recall@0+due_not_come@3" as the campaigns' names and versions.
  function versionWords(v) {
    return (v || "").split("+").filter(Boolean).map(function (p) {
      var i = p.indexOf("@"), code = i < 0 ? p : p.slice(0, i), n = i < 0 ? "" : p.slice(i + 1);
      return T("c." + code) + "（" + (n === "0" || n === "" ? T("script.v_builtin") : T("script.v").replace("%s", n)) + "）";
    }).join(" + ");
  }

  // The script's texts are plain text: they are shown with textContent (el), never as HTML.
  function renderScript(s) {
    var box = $("script");
    if (!s) return;
    var h = el("h2", null, T("script.title") + " · " + s.title);
    h.appendChild(el("small", "ver", " " + T("script.version") + " " + versionWords(s.version)));
    box.appendChild(h);
    box.appendChild(el("h3", null, T("script.opening")));
    box.appendChild(el("div", "say", s.opening));
    s.reminders.forEach(function (r) {
      box.appendChild(el("h3", null, T("script.reminder") + " · " + r.title));
      box.appendChild(el("div", "say", r.text));
    });
    box.appendChild(el("h3", null, T("script.closing")));
    box.appendChild(el("div", "say", s.closing));
    var ob = el("details", "objections");
    ob.appendChild(el("summary", null, T("script.objections")));
    s.objections.forEach(function (o) {
      var d = el("details");
      d.appendChild(el("summary", null, o.title));
      d.appendChild(el("div", "say", o.answer));
      ob.appendChild(d);
    });
    box.appendChild(ob);

    var qs = $("f-questions");
    s.questions.forEach(function (q) {
      var f = el("fieldset", "q");
      f.dataset.qid = q.id;
      f.dataset.kind = q.kind;
      f.appendChild(el("legend", null, q.text));
      if (q.kind === "text") {
        var inp = el("input");
        inp.name = "q_" + q.id;
        f.appendChild(inp);
      } else {
        q.options.forEach(function (o, i) {
          var lab = el("label", "opt");
          var r = el("input");
          r.type = "radio";
          r.name = "q_" + q.id;
          r.value = String(i);
          lab.appendChild(r);
          lab.appendChild(document.createTextNode(" " + o.label));
          f.appendChild(lab);
        });
      }
      qs.appendChild(f);
    });
    state && state.task && (qs.dataset.questions = JSON.stringify(s.questions));
  }

  function effect() {
    var o = $("f-code").selectedOptions[0];
    return o ? o.dataset.effect || "" : "";
  }

  // showWhen shows the fields the chosen outcome needs and nothing else: the time of an
  // appointment or callback, the complaint's category, the script's questions for a
  // customer reached, the do-not-call and SMS boxes after an answered call.
  function showWhen() {
    var code = $("f-code").value, eff = effect(), o = $("f-code").selectedOptions[0];
    var reached = !!(o && o.dataset.reached), answered = !!(state && state.call && state.call.answered);
    function show(sel, on) { document.querySelectorAll(sel).forEach(function (e) { e.hidden = !on; }); }
    show(".when-appointment", code === "appointment");
    show(".when-callback", eff === "callback");
    show(".when-complaint", eff === "complaint");
    show(".when-reached", reached);
    show(".when-answered", answered && code !== "");
    // The car a stated mileage or "no longer owns the car" is about: asked when there are several.
    var cars = $("f-vehicle").options.length;
    // A script that asks the mileage itself (question mileage) needs no second box.
    var asked = !!document.querySelector('fieldset[data-qid="mileage"]');
    show(".when-mileage", reached && cars > 0 && !asked && code !== "not_owner" && code !== "moved_away");
    show(".when-vehicle", cars > 1 && (code === "not_owner" || (reached && ($("f-mileage").value !== "" || asked))));
  }

  // pickOutcome chooses the outcome of number key k and moves on to what it needs.
  function pickOutcome(k) {
    var o = $("f-code").querySelector('option[data-key="' + k + '"]');
    if (!o || o.disabled) return;
    $("f-code").value = o.value;
    showWhen();
    var eff = effect(), next = null;
    if (o.value === "appointment") next = $("f-appointment");
    else if (eff === "callback") next = $("f-callback");
    else if (eff === "complaint") next = $("f-complaint");
    else if (!$("f-questions").hidden) next = document.querySelector("#f-questions fieldset.q input");
    (next || $("f-notes")).focus();
  }

  // pickScore answers a question by number key n: the option scored n, else the n-th.
  function pickScore(f, n) {
    var qs = state && state.task && state.task.script ? state.task.script.questions : [];
    var q = qs.filter(function (x) { return x.id === f.dataset.qid; })[0];
    if (!q || q.kind === "text") return;
    var idx = -1;
    q.options.forEach(function (o, i) { if (o.score === n && idx < 0) idx = i; });
    if (idx < 0) idx = n - 1;
    var r = f.querySelectorAll("input[type=radio]")[idx];
    if (!r) return;
    r.checked = true;
    var all = Array.prototype.slice.call(document.querySelectorAll("#f-questions fieldset.q"));
    var nx = all[all.indexOf(f) + 1];
    (nx ? nx.querySelector("input") : $("f-notes")).focus();
    lowScore(f);
  }

  // lowScore asks once per form, when a score question gets a 1 or a 2, whether to open a
  // complaint; yes turns the outcome into the complaint outcome and asks for its category.
  // Either way the low score reaches the directors' low-score list with the outcome.
  function lowScore(f) {
    var qs = state && state.task && state.task.script ? state.task.script.questions : [];
    var q = qs.filter(function (x) { return x.id === f.dataset.qid; })[0];
    var r = f.querySelector("input:checked");
    if (!q || q.kind !== "score" || !r || askedLow || effect() === "complaint") return;
    var sc = q.options[Number(r.value)].score;
    if (sc !== 1 && sc !== 2) return;
    askedLow = true;
    if (!window.confirm(T("low.ask"))) return;
    var o = $("f-code").querySelector('option[data-effect="complaint"]:not([disabled])');
    if (!o) return;
    $("f-code").value = o.value;
    showWhen();
    $("f-complaint").focus();
  }

  function typing(t) {
    return !!t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !/^(radio|checkbox)$/.test(t.type)));
  }

  function answers() {
    var out = {};
    var qs = state && state.task && state.task.script ? state.task.script.questions : [];
    qs.forEach(function (q) {
      var f = document.querySelector('fieldset[data-qid="' + q.id + '"]');
      if (!f) return;
      if (q.kind === "text") {
        var v = f.querySelector("input").value.trim();
        if (v) out[q.id] = { text: v };
        return;
      }
      var r = f.querySelector("input:checked");
      if (r) { var o = q.options[Number(r.value)]; out[q.id] = { label: o.label, score: o.score }; }
    });
    return out;
  }

  function submitOutcome(ev) {
    if (ev) ev.preventDefault();
    if (!state || !state.task || $("btn-save").disabled) return;
    if (!$("f-code").value) { setNotice(T("err.choose_outcome"), true); $("f-code").focus(); return; }
    // Do-not-call is permanent across every campaign: the agent confirms it.
    var dnc = $("f-dnc").checked || effect() === "dnc";
    if (dnc && !window.confirm(T("confirm.dnc"))) return;
    pending = {
      type: "outcome", client_id: clientID, task_id: state.task.id, code: $("f-code").value,
      appointment_at: $("f-appointment").value, callback_at: $("f-callback").value,
      callback_mine: $("f-mine").checked, complaint_category: $("f-complaint").value,
      do_not_call: $("f-dnc").checked, dnc_confirmed: dnc, sms_opt_out: $("f-sms-out").checked, notes: $("f-notes").value, answers: answers()
    };
    if (!$("f-mileage").closest("label").hidden && $("f-mileage").value !== "") pending.mileage = Number($("f-mileage").value);
    if ($("f-vehicle").value && !$("f-vehicle").closest("label").hidden) pending.vehicle_id = Number($("f-vehicle").value);
    // label is for this screen only (the server ignores it): whom and what was saved.
    pending.label = (state.task.card ? state.task.card.salutation + " · " : "") + $("f-code").selectedOptions[0].textContent;
    savePending();
    enableSave(false);
    send(pending);
  }

  function ready() { send({ type: "ready", mode: $("mode").value }); }
  function pause() { send({ type: "pause", reason: $("pause-reason").value }); }
  function call() { if (!$("btn-call").disabled) send({ type: "call" }); }
  // skip asks for the reason first: nothing is preselected, Esc cancels.
  function skip() {
    if ($("btn-skip").disabled || $("skip-dialog").open) return;
    $("skip-reason").value = "";
    $("skip-dialog").showModal();
    $("skip-reason").focus();
  }
  function hangup() { if (!$("btn-hangup").disabled) send({ type: "hangup" }); }

  $("btn-ready").addEventListener("click", ready);
  $("btn-pause").addEventListener("click", pause);
  $("btn-call").addEventListener("click", call);
  $("btn-skip").addEventListener("click", skip);
  $("btn-hangup").addEventListener("click", hangup);
  $("mode").addEventListener("change", function () { if (state && state.status === "ready") ready(); });
  $("f-code").addEventListener("change", showWhen);
  $("f-mileage").addEventListener("input", showWhen);
  $("btn-undo").addEventListener("click", undo);
  $("f-questions").addEventListener("change", function (e) {
    var f = e.target.closest ? e.target.closest("fieldset.q") : null;
    if (f) lowScore(f);
  });
  $("outcome").addEventListener("submit", submitOutcome);
  $("skip-form").addEventListener("submit", function (e) {
    if (!$("skip-reason").value) { e.preventDefault(); $("skip-reason").focus(); return; }
    send({ type: "skip", reason: $("skip-reason").value });
  });
  $("skip-cancel").addEventListener("click", function () { $("skip-dialog").close(); });
  document.addEventListener("keydown", function (e) {
    if ($("skip-dialog").open) {
      // In the skip dialog Enter confirms (once a reason is chosen) and Esc cancels.
      if (e.key === "Enter") { e.preventDefault(); $("skip-form").requestSubmit($("skip-confirm")); }
      else if (/^F\d+$/.test(e.key)) e.preventDefault();
      return;
    }
    var keys = { F2: ready, F3: pause, F5: call, F6: skip, F8: hangup };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submitOutcome(); return; }
    if ((e.key === "z" || e.key === "Z") && (e.ctrlKey || e.metaKey) && !typing(e.target) && undoID) { e.preventDefault(); undo(); return; }
    if (/^[0-9]$/.test(e.key) && !e.ctrlKey && !e.altKey && !e.metaKey && state && state.phase === "wrapup" && !typing(e.target)) {
      e.preventDefault();
      var f = e.target.closest ? e.target.closest("fieldset.q") : null;
      if (f) pickScore(f, Number(e.key)); else pickOutcome(e.key);
    }
  }, true);
  window.HuifangPhone.init(send);
  connect();
})();
