// Huifang browser phone: the agent's headset talks to the gateway over WebRTC
// (audio only, G.711, DTLS-SRTP). Signalling rides on the console's WebSocket
// (docs/console-protocol.md, "The browser phone"): the console hands this module its
// send function and the server's messages. The connection is opened when the agent is
// ready and kept up through the shift; a reload or a network change makes a new one,
// which the gateway puts under the same leg, so a call in progress goes on.
window.HuifangPhone = (function () {
  "use strict";
  var M = JSON.parse(document.getElementById("msgs").textContent);
  function T(k) { return M[k] || k; }
  function $(id) { return document.getElementById(id); }

  var send = null, settings = null, pc = null, mic = null, offerID = "", muted = false;
  var analyser = null, audioCtx = null, levelTimer = null, retryTimer = null, wanted = false;
  var state = "off";

  function setState(s) {
    state = s;
    var e = $("ph-state");
    if (!e) return;
    e.textContent = T("phone." + s);
    e.className = "ph-state ph-" + s;
    e.dataset.state = s;
  }

  function newID() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  // The microphone: asked for once (the browser shows its permission prompt), then the
  // device the agent chose.
  function openMic(deviceId) {
    var c = { audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } };
    if (deviceId) c.audio.deviceId = { exact: deviceId };
    return navigator.mediaDevices.getUserMedia(c).then(function (stream) {
      if (mic) mic.getTracks().forEach(function (t) { t.stop(); });
      mic = stream;
      mic.getAudioTracks().forEach(function (t) { t.enabled = !muted; });
      meter(stream);
      listDevices();
      return stream;
    });
  }

  function listDevices() {
    navigator.mediaDevices.enumerateDevices().then(function (list) {
      var sel = $("ph-mic"), cur = mic && mic.getAudioTracks()[0] ? mic.getAudioTracks()[0].getSettings().deviceId : "";
      sel.textContent = "";
      list.filter(function (d) { return d.kind === "audioinput"; }).forEach(function (d, i) {
        var o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || (T("phone.mic") + " " + (i + 1));
        if (d.deviceId === cur) o.selected = true;
        sel.appendChild(o);
      });
    });
  }

  // meter shows the microphone's level (RMS of the last 2048 samples) ten times a second.
  function meter(stream) {
    try {
      if (!audioCtx) audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      var src = audioCtx.createMediaStreamSource(stream);
      analyser = audioCtx.createAnalyser();
      analyser.fftSize = 2048;
      src.connect(analyser);
    } catch (e) { analyser = null; return; }
    var buf = new Float32Array(analyser.fftSize);
    clearInterval(levelTimer);
    levelTimer = setInterval(function () {
      if (!analyser) return;
      if (audioCtx.state === "suspended") audioCtx.resume();
      analyser.getFloatTimeDomainData(buf);
      var sum = 0;
      for (var i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      var rms = Math.sqrt(sum / buf.length);
      var m = $("ph-level");
      m.value = muted ? 0 : Math.min(1, rms * 4);
      m.dataset.rms = rms.toFixed(4);
    }, 100);
  }

  // connect makes a new peer connection and sends its offer (with all its candidates:
  // no trickle, so one message each way).
  function connect() {
    clearTimeout(retryTimer);
    if (!wanted || !settings || !settings.enabled) return;
    var old = pc;
    pc = null;
    if (old) { try { old.close(); } catch (e) { /* closed */ } }
    setState("connecting");
    (mic ? Promise.resolve(mic) : openMic($("ph-mic").value)).then(function (stream) {
      var p = new RTCPeerConnection({ iceServers: settings.ice_servers || [], bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
      pc = p;
      stream.getAudioTracks().forEach(function (t) { p.addTrack(t, stream); });
      p.ontrack = function (ev) {
        var a = $("ph-audio");
        a.srcObject = ev.streams[0] || new MediaStream([ev.track]);
        var pl = a.play();
        if (pl && pl.catch) pl.catch(function () { /* autoplay: plays after the next click */ });
      };
      p.onconnectionstatechange = function () {
        if (p !== pc) return;
        var s = p.connectionState;
        if (s === "connected") setState("connected");
        else if (s === "failed" || s === "closed") { setState("reconnecting"); retry(1000); }
        else if (s === "disconnected") { setState("reconnecting"); retry(3000); }
      };
      return p.createOffer().then(function (o) { return p.setLocalDescription(o); }).then(function () {
        return gathered(p);
      }).then(function () {
        if (p !== pc) return;
        offerID = newID();
        if (!send({ type: "rtc_offer", id: offerID, sdp: p.localDescription.sdp })) retry(1000);
      });
    }).catch(function (err) {
      setState(err && err.name === "NotAllowedError" ? "denied" : "failed");
      retry(5000);
    });
  }

  // gathered waits for ICE gathering to finish (at most 3 s: then what was found goes).
  function gathered(p) {
    if (p.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      var t = setTimeout(resolve, 3000);
      p.addEventListener("icegatheringstatechange", function () {
        if (p.iceGatheringState === "complete") { clearTimeout(t); resolve(); }
      });
    });
  }

  function retry(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      if (!pc || pc.connectionState !== "connected") connect();
    }, ms);
  }

  function onMessage(m) {
    if (m.type === "rtc_answer") {
      if (!pc || m.id !== offerID) return;
      pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(function () { setState("failed"); retry(3000); });
    } else if (m.type === "rtc_error") {
      if (m.id && m.id !== offerID) return;
      if (m.code === "rtc_sip_phone") { wanted = false; setState("sip"); return; }
      setState("failed");
      retry(5000);
    }
  }

  return {
    // init takes the console's send function and wires the controls.
    init: function (sendFn) {
      send = sendFn;
      $("ph-mute").addEventListener("click", function () {
        muted = !muted;
        if (mic) mic.getAudioTracks().forEach(function (t) { t.enabled = !muted; });
        this.setAttribute("aria-pressed", muted ? "true" : "false");
        this.textContent = T(muted ? "phone.unmute" : "phone.mute");
        this.classList.toggle("on", muted);
      });
      $("ph-mic").addEventListener("change", function () {
        var id = this.value;
        openMic(id).then(function (stream) {
          var t = stream.getAudioTracks()[0];
          if (pc) pc.getSenders().forEach(function (s) { if (s.track && s.track.kind === "audio") s.replaceTrack(t); });
        }).catch(function () { setState("denied"); });
      });
    },
    // hello gives the server's settings (hello.web_phone).
    hello: function (s) {
      settings = s || { enabled: false };
      $("phone").hidden = false;
      if (!settings.enabled) setState(settings.sip_phone ? "sip" : "off");
      else if (state === "off") setState("idle");
    },
    // status follows the agent's status: the phone connects when the agent is ready
    // (or paused, or on a call: it stays up through the shift).
    status: function (s, phase) {
      if (!settings || !settings.enabled) return;
      if (s !== "offline" || phase === "call" || phase === "wrapup") {
        if (!wanted) { wanted = true; connect(); }
      }
    },
    // reconnected: the WebSocket is back; a connection that went down is made again.
    reconnected: function () {
      if (wanted && (!pc || pc.connectionState !== "connected")) connect();
    },
    onMessage: onMessage,
    state: function () { return state; }
  };
})();
