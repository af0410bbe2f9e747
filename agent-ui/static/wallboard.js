// Huifang directors' wallboard: live over the WebSocket (view=wallboard).
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("msgs").textContent);
  function T(k) { return M[k] || k; }
  function $(id) { return document.getElementById(id); }
  function td(text) { var e = document.createElement("td"); e.textContent = text === undefined || text === null ? "" : String(text); return e; }
  function fmt(s) { s = s || 0; var m = Math.floor(s / 60); return m + ":" + ("0" + (s % 60)).slice(-2); }
  var agents = {}, backoff = 500, offset = 0;
  // Durations are counted from the server's timestamps, with the server's clock.
  function secsSince(ms) { return ms ? Math.max(0, Math.floor((Date.now() + offset - ms) / 1000)) : 0; }

  function renderAgents() {
    var body = $("wb-agents").tBodies[0];
    body.textContent = "";
    var ready = 0, paused = 0, inCall = 0;
    Object.keys(agents).sort().forEach(function (k) {
      var a = agents[k];
      if (a.status === "ready") ready++;
      if (a.status === "paused") paused++;
      if (a.phase === "call") inCall++;
      var tr = document.createElement("tr");
      tr.dataset.user = a.username;
      tr.className = "s-" + a.status + " p-" + a.phase + (a.connected ? "" : " muted");
      tr.appendChild(td(a.name));
      var st = T("status." + a.status) + " · " + T("phase." + a.phase);
      if (a.call) st += " · " + T("call." + a.call.state) + " " + fmt(a.call.ended_ms ? a.call.secs : secsSince(a.call.started_ms));
      if (a.pause_reason) st += " · " + T("pr." + a.pause_reason);
      tr.appendChild(td(st));
      tr.appendChild(td(fmt(secsSince(a.since_ms))));
      tr.appendChild(td(a.customer || ""));
      tr.appendChild(td(a.calls_done));
      body.appendChild(tr);
    });
    $("wb-ready").textContent = ready;
    $("wb-paused").textContent = paused;
    $("wb-in-call").textContent = inCall;
  }

  function renderQueue(q) {
    var body = $("wb-queue").tBodies[0];
    body.textContent = "";
    var open = 0;
    q.forEach(function (r) {
      open += r.open_tasks;
      var tr = document.createElement("tr");
      tr.appendChild(td(T("c." + r.campaign)));
      tr.appendChild(td(r.open_tasks));
      tr.appendChild(td(r.taken));
      tr.appendChild(td(r.flagged));
      if (r.flagged) tr.className = "bad";
      body.appendChild(tr);
    });
    $("wb-open").textContent = open;
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?view=wallboard");
    ws.onopen = function () { backoff = 500; $("conn").className = "conn on"; $("conn").textContent = "●"; };
    ws.onclose = function () { $("conn").className = "conn off"; setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000); };
    ws.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      if (m.now_ms) offset = m.now_ms - Date.now();
      if (m.type === "wallboard") {
        agents = {};
        m.agents.forEach(function (a) { agents[a.username] = a; });
        renderAgents();
        renderQueue(m.queue);
        $("wb-at").textContent = m.at;
      } else if (m.type === "queue") {
        renderQueue(m.queue);
        $("wb-at").textContent = m.at;
      } else if (m.type === "agents") {
        m.agents.forEach(function (a) { agents[a.username] = a; });
        renderAgents();
      }
    };
  }
  setInterval(renderAgents, 1000);
  connect();
})();
