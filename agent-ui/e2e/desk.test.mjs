// End-to-end test of an appointment's path after the call (issue 13), in Chromium driven
// by playwright-core: an agent books an appointment in a call; `huifang serve` is started
// again with its clock moved (HUIFANG_TEST_NOW, for tests only) to 10:00 the day before,
// where the service desk sees the appointment on /desk and the reminder reaches the SMS
// sender (a stand-in of Kannel's sendsms in this file); with the clock on the day after and
// no visit, the queue of that day has the no_show call.
//
// run.sh prepares the database (E2E_TEST=desk.test.mjs bash agent-ui/e2e/run.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { createServer as createHTTPServer } from "node:http";
import { mkdirSync, createWriteStream } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const password = process.env.E2E_PASSWORD || "e2e-pass-123";
const bin = process.env.HUIFANG_BIN;
const dealer = process.env.E2E_DEALER || "E2E";
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const psql = (sql) => execFileSync("psql", [process.env.DATABASE_URL, "-qAtc", sql]).toString().trim();

// shanghaiDay is the day in Asia/Shanghai (the demo dealer's zone) days from the real today.
function shanghaiDay(days) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

// The stand-in of Kannel's smsbox: every sendsms request is kept and accepted.
const sent = [];
let kannel, kannelURL;

let serve, browser, base, runs = 0;

// startServe starts `huifang serve` with its clock at testNow (an RFC 3339 instant), or the
// real clock when none.
async function startServe(testNow) {
  const httpPort = await freePort();
  base = `http://127.0.0.1:${httpPort}`;
  const log = createWriteStream(join(artifacts, `desk-serve-${++runs}.log`));
  const env = { ...process.env, HUIFANG_HTTP_ADDR: `127.0.0.1:${httpPort}`, HUIFANG_PUBLIC_URL: base,
    HUIFANG_SIP_ADDR: `127.0.0.1:${await freePort()}`, HUIFANG_METRICS_ADDR: "off", HUIFANG_LOG_LEVEL: "info",
    HUIFANG_SMS_CALLBACK_ADDR: `127.0.0.1:${await freePort()}`, HUIFANG_KANNEL_SENDSMS_URL: kannelURL,
    HUIFANG_KANNEL_USER: "e2e", HUIFANG_KANNEL_PASSWORD: "e2e", HUIFANG_SMS_TOKEN: "e2e-desk-token-0123456789" };
  if (testNow) Object.assign(env, { HUIFANG_TESTING: "1", HUIFANG_TEST_NOW: testNow });
  serve = spawn(bin, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  serve.stdout.pipe(log);
  serve.stderr.pipe(log);
  for (let i = 0; i < 150; i++) {
    if (serve.exitCode !== null) throw new Error(`huifang serve exited with ${serve.exitCode}; see ${join(artifacts, `desk-serve-${runs}.log`)}`);
    try {
      if ((await fetch(base + "/healthz")).ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("huifang serve did not become healthy in 30 s");
}

async function stopServe() {
  if (!serve || serve.exitCode !== null) return;
  const done = new Promise((r) => serve.once("exit", r));
  serve.kill("SIGTERM");
  await Promise.race([done, new Promise((r) => setTimeout(r, 20000))]);
  if (serve.exitCode === null) serve.kill("SIGKILL");
}

before(async () => {
  assert.ok(bin && process.env.DATABASE_URL, "run through run.sh (HUIFANG_BIN and DATABASE_URL)");
  kannel = createHTTPServer((req, res) => {
    const u = new URL(req.url, "http://kannel");
    sent.push({ to: u.searchParams.get("to"), text: u.searchParams.get("text") });
    res.writeHead(202, { "Content-Type": "text/plain" });
    res.end("0: Accepted for delivery");
  });
  await new Promise((r) => kannel.listen(0, "127.0.0.1", r));
  kannelURL = `http://127.0.0.1:${kannel.address().port}/cgi-bin/sendsms`;
  // The service desk's user (the password read from stdin).
  execFileSync(bin, ["user", "add", "--dealer", dealer, "--username", "desk1", "--name", "前台 陈", "--role", "service_desk"],
    { input: password + "\n" });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  if (browser) await browser.close();
  await stopServe();
  if (kannel) kannel.close();
});

async function login(username, landing) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(landing), page.click("#login-submit")]);
  return page;
}

test("an appointment booked in a call: on the desk, its reminder SMS the day before, a no_show call the day after", async () => {
  // D is two days from today: the booking is made now, the reminder is due at 10:00 on D-1.
  const day = shanghaiDay(2), dayBefore = shanghaiDay(1), dayAfter = shanghaiDay(3);
  await startServe();

  // An agent books it in a call.
  const agent = await login("agent1", /\/console$/);
  await agent.waitForSelector("#conn.on");
  await agent.selectOption("#mode", "preview");
  if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
  await agent.waitForSelector("#phase.p-preview");
  await agent.waitForSelector("#card h2");
  const task = Number(await agent.locator("#card").getAttribute("data-task-id"));
  await agent.keyboard.press("F5");
  await agent.waitForSelector('#timer[data-call-state="answered"]');
  await agent.click("#btn-hangup");
  await agent.waitForSelector("#phase.p-wrapup");
  await agent.selectOption("#f-code", "appointment");
  await agent.fill("#f-appointment", `${day}T10:00`);
  for (const f of await agent.locator("#f-questions fieldset").all()) {
    const r = f.locator("input[type=radio]");
    if (await r.count()) await r.last().check(); // the last option: never a low score
  }
  await agent.fill("#f-notes", "客户约后天上午十点来店保养");
  await agent.keyboard.press("Control+Enter");
  await agent.waitForFunction((old) => document.getElementById("card").dataset.taskId !== String(old), task);
  const [appt, customer, phone] = psql(`SELECT a.id, a.customer_id, c.phone FROM appointments a
    JOIN call_tasks t ON t.customer_id = a.customer_id JOIN customers c ON c.id = a.customer_id
    WHERE t.id = ${task} AND a.status = 'booked' AND a.day = '${day}' ORDER BY a.id DESC LIMIT 1`).split("|");
  assert.ok(appt, "the call booked an appointment on " + day);
  await agent.context().close();
  assert.equal(sent.filter((m) => m.to === phone).length, 0, "no reminder before the day before");
  await stopServe();

  // 10:00 on the day before: the desk lists it under tomorrow, the reminder reaches the sender.
  await startServe(`${dayBefore}T10:00:30+08:00`);
  const desk = await login("desk1", /\/desk$/);
  assert.equal(await desk.locator("#desk-day-1").getAttribute("data-day"), day, "tomorrow is D on the moved clock");
  const row = desk.locator(`#desk-day-1 #appt-${appt}`);
  await row.waitFor();
  assert.match(await row.textContent(), /10:00/);
  assert.doesNotMatch(await row.textContent(), new RegExp(phone), "the phone is masked");
  await desk.screenshot({ path: join(artifacts, "desk.png"), fullPage: true });
  const reminder = () => sent.find((m) => m.to === phone && /提醒/.test(m.text));
  for (let i = 0; !reminder(); i++) {
    assert.ok(i < 300, "the reminder reaches the SMS sender within 30 s; sent: " + JSON.stringify(sent.slice(-5)));
    await new Promise((r) => setTimeout(r, 100));
  }
  const [, m, d] = day.split("-").map(Number);
  assert.match(reminder().text, new RegExp(`${m}月${d}日 10:00`), "the reminder names the appointment");
  assert.equal(psql(`SELECT status FROM sms_messages WHERE idempotency_key = 'appointment_reminder:${appt}:${day}'`), "sent");
  await desk.context().close();
  await stopServe();

  // The day after, with no visit: the no_show call is in that day's queue, not in D's.
  await startServe(`${dayAfter}T08:00:00+08:00`);
  const noShow = (d) => {
    execFileSync(bin, ["queue", "build", "--dealer", dealer, "--date", d]);
    return execFileSync(bin, ["queue", "list", "--dealer", dealer, "--date", d, "--json"]).toString()
      .split("\n").filter(Boolean).map((l) => JSON.parse(l))
      .find((t) => t.customer_id === Number(customer) && t.campaigns.includes("no_show"));
  };
  assert.equal(noShow(day), undefined, "not on the appointment's day");
  assert.ok(noShow(dayAfter), "the no_show call is in the queue the day after");
  assert.equal(sent.filter((m) => m.to === phone && /提醒/.test(m.text)).length, 1, "one reminder");
});
