// End-to-end test of the browser phone (issue 15): Debian's Chromium with a fake
// microphone playing a 1000 Hz tone (a WAV made with sox) talks to `huifang serve` over
// WebRTC. The agent logs in, goes ready, the console connects the phone, the agent takes
// a call to the simulated carrier (which plays 440 Hz) and one through a sipp trunk
// (which plays a 600 Hz PCMU pcap written here), reloads the page mid-call, hangs up and
// saves the outcome. Each stereo recording is read back and its channels told apart by
// frequency (Goertzel): the agent's channel carries the browser's 1000 Hz, the
// customer's the far end's tone. run.sh prepares the database (E2E_TEST=webphone.test.mjs).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, createWriteStream, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const password = process.env.E2E_PASSWORD || "e2e-pass-123";
mkdirSync(artifacts, { recursive: true });
const work = mkdtempSync(join(tmpdir(), "huifang-webphone-"));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function waitHealthy(base, proc, logName) {
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error("huifang serve exited with " + proc.exitCode + "; see " + join(artifacts, logName));
    try {
      const r = await fetch(base + "/healthz");
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("huifang serve did not become healthy in 30 s");
}

// startServe runs `huifang serve` with extra environment; it returns {proc, base}.
async function startServe(extra, logName) {
  const httpPort = await freePort(), sipPort = await freePort();
  const base = `http://127.0.0.1:${httpPort}`;
  const log = createWriteStream(join(artifacts, logName));
  const proc = spawn(process.env.HUIFANG_BIN, ["serve"], {
    env: { ...process.env, HUIFANG_HTTP_ADDR: `127.0.0.1:${httpPort}`, HUIFANG_PUBLIC_URL: base,
      HUIFANG_SIP_ADDR: `127.0.0.1:${sipPort}`, HUIFANG_METRICS_ADDR: "127.0.0.1:0", HUIFANG_LOG_LEVEL: "info",
      HUIFANG_SMS_CALLBACK_ADDR: "off", HUIFANG_RECORDINGS_DIR: join(work, "recordings"), ...extra },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout.pipe(log, { end: false });
  proc.stderr.pipe(log, { end: false });
  await waitHealthy(base, proc, logName);
  return { proc, base };
}

async function stopServe(s) {
  if (!s || s.proc.exitCode !== null) return;
  const done = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGTERM");
  await Promise.race([done, new Promise((r) => setTimeout(r, 10000))]);
  if (s.proc.exitCode === null) s.proc.kill("SIGKILL");
}

// --- audio helpers -----------------------------------------------------------------

// μ-law encoding of a 16-bit sample (G.711).
function ulaw(sample) {
  const BIAS = 0x84, CLIP = 32635;
  let sign = (sample >> 8) & 0x80;
  if (sign) sample = -sample;
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exp = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exp > 0; exp--, mask >>= 1);
  const mant = (sample >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

// writeTonePcap writes seconds of a freq Hz PCMU tone as RTP in a pcap file (Ethernet,
// IPv4, UDP), for sipp's play_pcap_audio.
function writeTonePcap(path, freq, seconds) {
  const packets = seconds * 50, parts = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0); gh.writeUInt16LE(2, 4); gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16); gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (let i = 0; i < packets; i++) {
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80; rtp[1] = 0; rtp.writeUInt16BE(i & 0xffff, 2); rtp.writeUInt32BE(i * 160, 4); rtp.writeUInt32BE(0x1234, 8);
    for (let k = 0; k < 160; k++) {
      const n = i * 160 + k;
      rtp[12 + k] = ulaw(Math.round(8000 * Math.sin(2 * Math.PI * freq * n / 8000)));
    }
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(4000, 0); udp.writeUInt16BE(4000, 2); udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45; ip.writeUInt16BE(20 + 8 + rtp.length, 2); ip[8] = 64; ip[9] = 17;
    ip.set([127, 0, 0, 1], 12); ip.set([127, 0, 0, 1], 16);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const ph = Buffer.alloc(16);
    const us = i * 20000;
    ph.writeUInt32LE(Math.floor(us / 1e6), 0); ph.writeUInt32LE(us % 1e6, 4);
    ph.writeUInt32LE(frame.length, 8); ph.writeUInt32LE(frame.length, 12);
    parts.push(ph, frame);
  }
  writeFileSync(path, Buffer.concat(parts));
}

// readStereo reads a 16-bit stereo WAV: [left, right] as arrays of samples.
function readStereo(path) {
  const b = readFileSync(path);
  let p = 12, data = null;
  while (p + 8 <= b.length) {
    const id = b.toString("ascii", p, p + 4), size = b.readUInt32LE(p + 4);
    if (id === "data") { data = b.subarray(p + 8, p + 8 + size); break; }
    p += 8 + size + (size % 2);
  }
  assert.ok(data, "the recording has a data chunk");
  const n = Math.floor(data.length / 4), left = new Float64Array(n), right = new Float64Array(n);
  for (let i = 0; i < n; i++) { left[i] = data.readInt16LE(4 * i); right[i] = data.readInt16LE(4 * i + 2); }
  return [left, right];
}

// goertzel returns the amplitude of freq Hz in x (8000 Hz samples).
function goertzel(x, freq) {
  const w = 2 * Math.PI * freq / 8000, c = 2 * Math.cos(w);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < x.length; i++) { const s0 = x[i] + c * s1 - s2; s2 = s1; s1 = s0; }
  return 2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2)) / x.length;
}

// loudest returns the parts of x where the channel has sound (20 ms frames above a floor),
// so silence before the answer does not dilute the measure.
function voiced(x) {
  const out = [];
  for (let i = 0; i + 160 <= x.length; i += 160) {
    let e = 0;
    for (let k = i; k < i + 160; k++) e += x[k] * x[k];
    if (Math.sqrt(e / 160) > 100) for (let k = i; k < i + 160; k++) out.push(x[k]);
  }
  return Float64Array.from(out);
}

function psql(sql) {
  return execFileSync("psql", [process.env.DATABASE_URL, "-qAtc", sql], { encoding: "utf8" }).trim();
}

// --- the test ------------------------------------------------------------------------

let browser;
const toneWav = join(work, "mic-1000hz.wav");

before(async () => {
  assert.ok(process.env.HUIFANG_BIN && process.env.DATABASE_URL, "run through run.sh (HUIFANG_BIN and DATABASE_URL)");
  // The fake microphone: 1000 Hz, made with sox (Chromium loops the file).
  execFileSync("sox", ["-n", "-r", "48000", "-c", "1", "-b", "16", toneWav, "synth", "20", "sine", "1000", "vol", "0.5"]);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${toneWav}`, "--autoplay-policy=no-user-gesture-required",
      "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns"],
  });
});

after(async () => {
  if (browser) await browser.close();
});

async function login(base, username) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/console$/), page.click("#login-submit")]);
  return page;
}

const phoneConnected = (page) => page.waitForSelector('#ph-state[data-state="connected"]', { timeout: 20000 });

// talkCall places the call of the task on screen through the browser phone, talks for
// talkMs (reloading the page halfway when reload is set), hangs up, saves an outcome
// and returns the recording's path.
async function talkCall(page, { talkMs, reload }) {
  let taskID;
  // The simulated carrier answers six calls in ten (some customers are busy, some do not
  // answer): an unanswered call is saved as such and the next task called.
  for (let attempt = 1; ; attempt++) {
    await page.waitForSelector("#card h2");
    taskID = await page.locator("#card").getAttribute("data-task-id");
    await page.click("#btn-call");
    const answered = await page.waitForSelector('#timer[data-call-state="answered"]', { timeout: 8000 }).then(() => true, () => false);
    if (answered) break;
    assert.ok(attempt < 8, "a call is answered within eight tries");
    if (await page.locator("#btn-hangup").isEnabled()) await page.click("#btn-hangup");
    await page.waitForSelector("#phase.p-wrapup");
    await page.selectOption("#f-code", "no_answer");
    await page.click("#btn-save");
    await page.waitForFunction((old) => document.getElementById("card").dataset.taskId !== old, taskID);
  }
  // The microphone's level shows on the meter while the agent talks.
  await page.waitForFunction(() => Number(document.getElementById("ph-level").dataset.rms || 0) > 0.01);
  await page.waitForTimeout(talkMs / 2); // talk: the audio is what is under test
  if (reload) {
    await page.reload();
    await page.waitForSelector('#timer[data-call-state="answered"]');
    await phoneConnected(page);
    assert.equal(await page.locator("#card").getAttribute("data-task-id"), taskID, "same call after the reload");
  }
  await page.waitForTimeout(talkMs / 2);
  assert.equal(await page.locator("#timer").getAttribute("data-call-state"), "answered", "the call is still up");
  await page.screenshot({ path: join(artifacts, `webphone-call${reload ? "-reload" : ""}.png`), fullPage: true });
  await page.click("#btn-hangup");
  await page.waitForSelector("#phase.p-wrapup");
  await page.selectOption("#f-code", "reached");
  const first = page.locator("#f-questions fieldset input[type=radio]").first();
  if (await first.count()) await first.check();
  await page.fill("#f-notes", "网页电话测试");
  await page.click("#btn-save");
  await page.waitForFunction((old) => document.getElementById("card").dataset.taskId !== old, taskID);
  const rec = psql(`SELECT recording_path FROM call_attempts WHERE task_id = ${Number(taskID)} AND recording_path <> '' ORDER BY id DESC LIMIT 1`);
  assert.ok(rec, "the call has a recording");
  // Both sides' quality is stored with the call record (issue 15 item 3).
  const q = psql(`SELECT customer_mos IS NOT NULL AND agent_mos IS NOT NULL AND mos IS NOT NULL, round(mos::numeric, 2) FROM call_attempts WHERE task_id = ${Number(taskID)} AND recording_path <> '' ORDER BY id DESC LIMIT 1`);
  console.log(`call quality: ${q}`);
  assert.match(q, /^t\|/, "each side's MOS is stored");
  const outcome = psql(`SELECT count(*) FROM call_outcomes WHERE task_id = ${Number(taskID)}`);
  assert.equal(outcome, "1", "the outcome is saved");
  return rec;
}

function checkRecording(path, customerHz, label) {
  const [left, right] = readStereo(path);
  const cust = voiced(left), agent = voiced(right);
  assert.ok(cust.length > 8000 && agent.length > 8000, `${label}: both channels carry sound (${cust.length}, ${agent.length} samples)`);
  const f = {
    custAtCust: goertzel(cust, customerHz), custAtAgent: goertzel(cust, 1000),
    agentAtAgent: goertzel(agent, 1000), agentAtCust: goertzel(agent, customerHz),
  };
  console.log(`${label}: recording ${path}: ${JSON.stringify(f)}`);
  assert.ok(f.custAtCust > 5 * f.custAtAgent && f.custAtCust > 500, `${label}: the customer channel carries the far end's ${customerHz} Hz`);
  assert.ok(f.agentAtAgent > 5 * f.agentAtCust && f.agentAtAgent > 500, `${label}: the agent channel carries the browser's 1000 Hz`);
}

test("a browser-phone agent talks to the simulated carrier", async () => {
  const s = await startServe({}, "webphone-serve-sim.log");
  try {
    const page = await login(s.base, "agent3");
    await page.waitForSelector("#conn.on");
    await page.selectOption("#mode", "preview");
    // A state kept in Redis from an earlier run may be ready already.
    if (await page.locator("#btn-ready").isEnabled()) await page.click("#btn-ready");
    await phoneConnected(page);
    await page.waitForSelector("#ph-mic option", { state: "attached" }); // the microphones are listed
    const rec = await talkCall(page, { talkMs: 3000, reload: false });
    checkRecording(rec, 440, "simulated carrier");
    // Mute: the meter falls to zero.
    await page.click("#ph-mute");
    await page.waitForFunction(() => Number(document.getElementById("ph-level").value) === 0);
    await page.screenshot({ path: join(artifacts, "webphone-muted.png"), fullPage: true });
    await page.context().close();
  } finally {
    await stopServe(s);
  }
});

test("a browser-phone agent talks through a sipp trunk and reloads mid-call", async () => {
  const pcap = join(work, "far-600hz.pcap");
  writeTonePcap(pcap, 600, 25);
  const sippPort = await freePort();
  const scen = readFileSync(join(root, "telephony", "testdata", "uas_answer_pcap.xml"), "utf8")
    .replaceAll("[talk]", "20000").replaceAll("[codec]", "0").replaceAll("[pcap]", pcap);
  const scenPath = join(work, "uas.xml");
  writeFileSync(scenPath, scen);
  const mport = 20000 + 4 * Math.floor(Math.random() * 2500);
  const sipp = spawn("sipp", ["-sf", scenPath, "-i", "127.0.0.1", "-p", String(sippPort), "-mp", String(mport),
    "-m", "1", "-t", "u1", "-nostdin", "-timeout", "90s", "-nr"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
  const sippLog = createWriteStream(join(artifacts, "webphone-sipp.log"));
  sipp.stdout.pipe(sippLog, { end: false });
  sipp.stderr.pipe(sippLog, { end: false });
  const s = await startServe({ HUIFANG_SIP_TRUNK: `sip:127.0.0.1:${sippPort}` }, "webphone-serve-sipp.log");
  try {
    const page = await login(s.base, "agent4");
    await page.waitForSelector("#conn.on");
    await page.selectOption("#mode", "preview");
    // A state kept in Redis from an earlier run may be ready already.
    if (await page.locator("#btn-ready").isEnabled()) await page.click("#btn-ready");
    await phoneConnected(page);
    const rec = await talkCall(page, { talkMs: 6000, reload: true });
    checkRecording(rec, 600, "sipp trunk");
    // The director sees the call's quality on its page.
    const id = psql(`SELECT id FROM call_attempts WHERE recording_path = '${rec}'`);
    const dctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
    const director = await dctx.newPage();
    await director.goto(s.base + "/login");
    await director.fill('input[name="username"]', "director1");
    await director.fill('input[name="password"]', password);
    await Promise.all([director.waitForURL(/\/wallboard$/), director.click("#login-submit")]);
    await director.goto(`${s.base}/director/calls/${id}`);
    await director.waitForSelector('#call-quality tr[data-side="agent"]');
    assert.match(await director.locator("#call-quality").textContent(), /坐席侧/);
    await director.screenshot({ path: join(artifacts, "webphone-director-call.png"), fullPage: true });
    await dctx.close();
    await page.context().close();
  } finally {
    await stopServe(s);
    if (sipp.exitCode === null) sipp.kill("SIGTERM");
  }
});
