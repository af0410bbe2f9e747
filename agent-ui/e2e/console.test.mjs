// End-to-end test of the agent console in a real browser: Debian's Chromium driven by
// playwright-core. run.sh prepares a fresh database with a demo dealer and its queue and
// sets HUIFANG_BIN, DATABASE_URL and E2E_PASSWORD; this file starts `huifang serve` on a
// free loopback port, works calls as agent1 and watches them as director1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, createWriteStream, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const password = process.env.E2E_PASSWORD || "e2e-pass-123";
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

async function waitHealthy(base, proc) {
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error("huifang serve exited with " + proc.exitCode + "; see " + join(artifacts, "serve.log"));
    try {
      const r = await fetch(base + "/healthz");
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("huifang serve did not become healthy in 30 s");
}

let serve, browser, base, sipPort;

before(async () => {
  if (process.env.E2E_BASE_URL) {
    base = process.env.E2E_BASE_URL;
  } else {
    const bin = process.env.HUIFANG_BIN;
    assert.ok(bin && process.env.DATABASE_URL, "run through run.sh (HUIFANG_BIN and DATABASE_URL)");
    const httpPort = await freePort();
    sipPort = await freePort();
    base = `http://127.0.0.1:${httpPort}`;
    const log = createWriteStream(join(artifacts, "serve.log"));
    serve = spawn(bin, ["serve"], {
      env: { ...process.env, HUIFANG_HTTP_ADDR: `127.0.0.1:${httpPort}`, HUIFANG_PUBLIC_URL: base,
        HUIFANG_SIP_ADDR: `127.0.0.1:${sipPort}`, HUIFANG_METRICS_ADDR: "127.0.0.1:0", HUIFANG_LOG_LEVEL: "info",
        HUIFANG_SMS_CALLBACK_ADDR: "off" }, // its default port is fixed; another server may hold it
      stdio: ["ignore", "pipe", "pipe"],
    });
    serve.stdout.pipe(log);
    serve.stderr.pipe(log);
    await waitHealthy(base, serve);
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (serve && serve.exitCode === null) {
    const done = new Promise((r) => serve.once("exit", r));
    serve.kill("SIGTERM");
    await Promise.race([done, new Promise((r) => setTimeout(r, 10000))]);
    if (serve.exitCode === null) serve.kill("SIGKILL");
  }
});

async function login(username, viewport = { width: 1440, height: 900 }) {
  const ctx = await browser.newContext({ viewport, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/(console|wallboard)$/), page.click("#login-submit")]);
  return page;
}

const taskID = (page) => page.locator("#card").getAttribute("data-task-id");

async function waitPhase(page, phase) {
  await page.waitForSelector(`#phase.p-${phase}`);
}

// workOneCall places the call of the task on screen, hangs up once answered and saves
// the outcome; it returns the id of the task worked.
async function workOneCall(page, { reload = false } = {}) {
  await page.waitForSelector("#card h2");
  const id = await taskID(page);
  assert.match(await page.locator("#card dd").first().textContent(), /^\d{3}\*{4}\d{2,4}$/, "the phone is masked");
  await page.keyboard.press("F5"); // Call
  await page.waitForSelector('#timer[data-call-state="ringing"], #timer[data-call-state="answered"]');
  await page.waitForSelector('#timer[data-call-state="answered"]');
  await page.click("#btn-hangup");
  await waitPhase(page, "wrapup");
  if (reload) {
    // A browser that drops during wrap-up comes back to the same task.
    await page.reload();
    await waitPhase(page, "wrapup");
    assert.equal(await taskID(page), id, "same task after reconnect");
  }
  await page.selectOption("#f-code", "reached");
  const first = page.locator("#f-questions fieldset input[type=radio]").first();
  if (await first.count()) await first.check();
  await page.fill("#f-notes", "客户满意，浏览器测试");
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction((old) => {
    const c = document.getElementById("card");
    return c.dataset.taskId && c.dataset.taskId !== old && document.querySelector("#card h2");
  }, id);
  return id;
}

test("an agent works calls and the director sees them live", async () => {
  const agent = await login("agent1");
  assert.match(agent.url(), /\/console$/);
  await agent.waitForSelector("#conn.on");
  await agent.waitForSelector("#status:not(:empty)");
  await agent.selectOption("#mode", "preview");
  if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
  await waitPhase(agent, "preview");
  const script = await agent.locator("#script").textContent();
  assert.match(script, /您好/, "the script is shown in Chinese");

  const director = await login("director1");
  assert.match(director.url(), /\/wallboard$/);
  await director.waitForSelector('#wb-agents tr[data-user="agent1"]');
  const doneBefore = Number(await director.locator('#wb-agents tr[data-user="agent1"] td:last-child').textContent());

  // Five calls, the first with a reload during wrap-up.
  const worked = [await workOneCall(agent, { reload: true })];
  for (let i = 0; i < 4; i++) worked.push(await workOneCall(agent));
  assert.equal(new Set(worked).size, 5, "five different tasks");

  // Live on the wallboard: agent1 has five more calls done.
  await director.waitForFunction((want) => {
    const tr = document.querySelector('#wb-agents tr[data-user="agent1"]');
    return tr && tr.lastElementChild.textContent === String(want);
  }, doneBefore + 5);
  await agent.screenshot({ path: join(artifacts, "console.png"), fullPage: true });
  await director.screenshot({ path: join(artifacts, "wallboard.png"), fullPage: true });

  // The record list shows both calls with the script version they were made with.
  await director.goto(base + "/calls"); // the old address leads to the one records page
  await director.waitForURL(/\/director\/calls$/);
  const rows = director.locator("#dlist tbody tr");
  assert.ok((await rows.count()) >= 5);
  assert.match(await rows.first().textContent(), /已接通完成/);
  assert.match(await rows.first().textContent(), /（(内置版|第 \d+ 版)）/, "the script version in words");
  await director.screenshot({ path: join(artifacts, "calls.png"), fullPage: true });

  // A director edits a script: a new version, used by the next calls.
  await director.goto(base + "/scripts/insurance");
  const body = await director.locator('textarea[name="reminder"]').inputValue();
  await director.fill('textarea[name="reminder"]', body.replace("温馨提醒", "特别提醒"));
  await director.fill('input[name="note"]', "e2e");
  await director.click("#script-save");
  await director.waitForSelector("#script-saved");
  assert.match(await director.locator("#script-saved").textContent(), /insurance@1/);
  await director.screenshot({ path: join(artifacts, "script-edit.png"), fullPage: true });

  // English switch.
  await agent.click("#lang-switch");
  await agent.waitForSelector("text=Hang up (F8)");
  await agent.waitForSelector("#card h2");
  await agent.screenshot({ path: join(artifacts, "console-en.png"), fullPage: true });
});

// noCallFor fails when a call state shows up on the agent's screen within ms.
async function noCallFor(page, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    assert.equal(await page.locator("#timer").getAttribute("data-call-state"), "", "no call is placed");
    await page.waitForTimeout(250);
  }
}

test("pausing during the progressive countdown cancels the call", async () => {
  const agent = await login("agent2");
  await agent.waitForSelector("#conn.on");
  await agent.waitForSelector("#status:not(:empty)");
  await agent.selectOption("#mode", "progressive");
  await agent.click("#btn-ready");
  await waitPhase(agent, "countdown");
  await agent.waitForSelector("#timer:has-text('秒后自动呼叫')");
  await agent.keyboard.press("F3"); // Pause
  await agent.waitForSelector("#status.s-paused");
  await waitPhase(agent, "preview");
  assert.doesNotMatch(await agent.locator("#timer").textContent(), /秒后自动呼叫/);
  // The serve default countdown is 5 s: well past it, still no call.
  await noCallFor(agent, 7000);
  // F5 while paused is refused by the server, in Chinese.
  await agent.keyboard.press("F5");
  await agent.waitForSelector("#notice.bad:has-text('暂停')");
  await noCallFor(agent, 1000);
  await agent.screenshot({ path: join(artifacts, "console-paused-countdown.png") });
  // Ready again: the countdown starts over; pause again before it dials.
  await agent.keyboard.press("F2");
  await waitPhase(agent, "countdown");
  await agent.keyboard.press("F3");
  await waitPhase(agent, "preview");
  await noCallFor(agent, 6000);
});

test("an outcome needs a call: reached only when answered, and every outcome is in the records", async () => {
  const agent = await login("agent4");
  await agent.waitForSelector("#conn.on");
  await agent.waitForSelector("#status:not(:empty)");
  await agent.selectOption("#mode", "preview");
  if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
  await waitPhase(agent, "preview");
  await agent.waitForSelector("#card h2");
  const customer = (await agent.locator("#card h2").textContent()).match(/（(.*)）/)[1];
  // Before the call: no outcome can be saved, the form says to call or skip.
  assert.ok(await agent.locator("#btn-save").isDisabled(), "save is off before a call");
  await agent.waitForSelector("#form-hint:visible");
  await agent.selectOption("#f-code", "reached");
  await agent.keyboard.press("Control+Enter");
  assert.equal(await agent.locator("#phase").getAttribute("class"), "phase p-preview");
  // A call hung up while it rings: nobody answered, "reached" and its kin are not offered.
  await agent.keyboard.press("F5");
  await agent.waitForSelector('#timer[data-call-state="ringing"]');
  await agent.keyboard.press("F8");
  await waitPhase(agent, "wrapup");
  for (const code of ["reached", "appointment", "callback", "complaint", "refused", "do_not_call"]) {
    assert.ok(await agent.locator(`#f-code option[value="${code}"]`).isDisabled(), code + " is not offered");
  }
  assert.equal(await agent.locator("#f-code").inputValue(), "no_answer", "the call's result is suggested");
  assert.ok(await agent.locator("#btn-save").isEnabled());
  await agent.screenshot({ path: join(artifacts, "console-unanswered.png") });
  const worked = await taskID(agent);
  await agent.keyboard.press("Control+Enter");
  await agent.waitForSelector("#flash:has-text('结果已保存')");
  // Undo within the minute (Ctrl+Z, or the button): the task and its call are back in
  // wrap-up with a fresh form, and a new outcome is saved for the same call.
  await agent.waitForSelector("#btn-undo:visible");
  assert.match(await agent.locator("#undo-secs").textContent(), /^\d+s$/);
  await agent.locator("#f-notes").blur();
  await agent.keyboard.press("Control+z");
  await agent.waitForSelector("#flash:has-text('已撤销')");
  await waitPhase(agent, "wrapup");
  assert.equal(await taskID(agent), worked, "the undone task is back on screen");
  assert.ok(await agent.locator("#btn-undo").isHidden(), "nothing more to undo");
  assert.equal(await agent.locator("#f-code").inputValue(), "", "a fresh form");
  await agent.screenshot({ path: join(artifacts, "console-undone.png") });
  await agent.selectOption("#f-code", "no_answer");
  await agent.keyboard.press("Control+Enter");
  await agent.waitForSelector("#flash:has-text('结果已保存')");
  // The director's records show the call with its outcome.
  const director = await login("director1");
  await director.goto(base + "/director/calls?outcome=no_answer&agent=" + encodeURIComponent(await agentID(director, "agent4")));
  const row = director.locator("#dlist tbody tr").first();
  assert.match(await row.textContent(), new RegExp(customer));
  assert.match(await row.textContent(), /无人接听/);
});

// agentID reads an agent's user id from the records page's agent filter.
async function agentID(director, username) {
  await director.goto(base + "/director/calls");
  return director.locator("#f-agent option", { hasText: "(" + username + ")" }).getAttribute("value");
}

test("an agent works twenty calls by keyboard at 1280x720", async () => {
  const agent = await login("agent5", { width: 1280, height: 720 });
  await agent.waitForSelector("#conn.on");
  await agent.waitForSelector("#status:not(:empty)");
  await agent.keyboard.press("F2"); // Ready, preview mode
  await waitPhase(agent, "preview");
  const inView = async (sel) => {
    const box = await agent.locator(sel).boundingBox();
    return box && box.y >= 0 && box.y + box.height <= 720 && box.x + box.width <= 1280;
  };

  // F6 asks for the reason: nothing preselected, Enter without one does nothing, Esc cancels.
  await agent.keyboard.press("F6");
  await agent.waitForSelector("#skip-dialog[open]");
  assert.equal(await agent.locator("#skip-reason").inputValue(), "");
  await agent.keyboard.press("Enter");
  assert.ok(await agent.locator("#skip-dialog").evaluate((d) => d.open), "no skip without a reason");
  await agent.keyboard.press("Escape");
  await agent.waitForSelector("#skip-dialog", { state: "hidden" });
  await waitPhase(agent, "preview");

  // F6, a reason chosen by keyboard, Enter: skipped (listed in the records, checked below).
  await agent.keyboard.press("F6");
  await agent.waitForSelector("#skip-dialog[open]");
  await agent.keyboard.press("ArrowDown");
  assert.equal(await agent.locator("#skip-reason").inputValue(), "customer_in_store");
  let last = await taskID(agent);
  await agent.keyboard.press("Enter");
  await agent.waitForSelector("#skip-dialog", { state: "hidden" });

  for (let i = 0; i < 20; i++) {
    // The next card, not the one just skipped or saved, before F5 (F5 on the old card is lost).
    await agent.waitForFunction((prev) => document.querySelector("#card")?.getAttribute("data-task-id") !== prev, last);
    await waitPhase(agent, "preview");
    await agent.waitForSelector("#card h2");
    const id = await taskID(agent);
    last = id;
    await agent.keyboard.press("F5");
    await agent.waitForSelector('#timer[data-call-state="answered"]').catch(async (e) => {
      await agent.screenshot({ path: join(artifacts, "console-keyboard-failed.png") });
      throw new Error(`call ${i + 1}: ${e.message}; notice: ${await agent.locator("#notice").textContent()}; phase: ${await agent.locator("#phase").textContent()}`);
    });
    await agent.keyboard.press("F8");
    await waitPhase(agent, "wrapup");
    assert.equal(await agent.evaluate(() => document.activeElement.id), "f-code", "focus is on the outcome after hang-up");
    if (i === 0) {
      // Only what the outcome needs: nothing but the outcome and the notes before a choice.
      for (const sel of ["#f-appointment", "#f-callback", "#f-complaint", "#f-questions", "#f-dnc"]) {
        assert.ok(!(await agent.locator(sel).isVisible()), sel + " hidden before a choice");
      }
      await agent.keyboard.press("2"); // appointment: its time, the questions
      assert.ok(await agent.locator("#f-appointment").isVisible());
      assert.ok(!(await agent.locator("#f-callback").isVisible()) && !(await agent.locator("#f-complaint").isVisible()));
      await agent.locator("#f-code").focus();
      await agent.keyboard.press("5"); // no answer: no questions, no time
      assert.equal(await agent.locator("#f-code").inputValue(), "no_answer");
      assert.ok(!(await agent.locator("#f-appointment").isVisible()) && !(await agent.locator("#f-questions").isVisible()));
      await agent.locator("#f-code").focus();
    }
    if (i === 19) {
      // Do not call is confirmed: dismissed, nothing saved; accepted, saved.
      await agent.keyboard.press("0"); // 勿再致电
      assert.equal(await agent.locator("#f-code").inputValue(), "do_not_call");
      let asked = "";
      agent.once("dialog", (d) => { asked = d.message(); d.dismiss(); });
      await agent.keyboard.press("Control+Enter");
      assert.match(asked, /勿再致电/);
      assert.equal(await agent.locator("#phase").getAttribute("class"), "phase p-wrapup", "not saved");
      agent.once("dialog", (d) => d.accept());
      await agent.keyboard.press("Control+Enter");
      await agent.waitForSelector("#flash:has-text('勿再致电')");
      break;
    }
    await agent.keyboard.press("1"); // reached: focus goes to the first question, or the notes
    assert.equal(await agent.locator("#f-code").inputValue(), "reached");
    for (let q = 0; q < 12; q++) {
      const on = await agent.evaluate(() => {
        const a = document.activeElement;
        return a.id || (a.type === "radio" ? "radio:" + a.closest("fieldset").querySelectorAll("input").length : a.type || a.tagName);
      });
      if (on === "f-notes") break;
      if (on.startsWith("radio:")) {
        // A score question: 5; a choice: its first option. Then on to the next question.
        await agent.keyboard.press(Number(on.slice(6)) >= 5 ? "5" : "1");
      } else {
        if (on === "text") await agent.keyboard.type("满意");
        await agent.keyboard.press("Tab");
      }
    }
    assert.equal(await agent.evaluate(() => document.activeElement.id), "f-notes");
    await agent.keyboard.type("键盘回访 " + (i + 1));
    assert.ok(await inView("#btn-save"), "the save button is in view at 1280x720");
    if (i === 0) await agent.screenshot({ path: join(artifacts, "console-1280.png") });
    await agent.keyboard.press("Control+Enter");
    await agent.waitForSelector("#flash:has-text('结果已保存')");
    await agent.waitForFunction((old) => {
      const c = document.getElementById("card");
      return (c.dataset.taskId && c.dataset.taskId !== old && document.querySelector("#card h2")) || document.querySelector("#phase.p-idle");
    }, id);
    if (i === 0) {
      await agent.waitForTimeout(3000);
      assert.ok(await agent.locator("#flash").isVisible(), "结果已保存 is still there to read");
    }
  }

  const director = await login("director1");
  await director.goto(base + "/director/calls?outcome=not_called&agent=" + encodeURIComponent(await agentID(director, "agent5")));
  assert.match(await director.locator("#dlist tbody tr").first().textContent(), /未呼叫：客户正在店内/);
});

test("a wrong password is refused and agents cannot open director pages", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', "agent2");
  await page.fill('input[name="password"]', "not-the-password");
  await page.click("#login-submit");
  await page.waitForSelector(".error");
  await page.screenshot({ path: join(artifacts, "login-failed.png") });
  const agent = await login("agent2");
  const resp = await agent.goto(base + "/wallboard");
  assert.equal(resp.status(), 403);
});

function haveSipp() {
  try { execFileSync("sipp", ["-v"], { stdio: "ignore" }); return true; } catch (e) { return e.status !== undefined && e.code !== "ENOENT"; }
}

// sipSecret issues the agent a new SIP secret with the command line, as an admin would,
// and returns it (the console password is not the softphone's secret).
function sipSecret(user) {
  const out = execFileSync(process.env.HUIFANG_BIN, ["user", "sip-secret", "--dealer", process.env.E2E_DEALER || "E2E", "--username", user]).toString();
  const m = out.match(/SIP secret: (\S+)/);
  assert.ok(m, "huifang user sip-secret printed no secret: " + out);
  return m[1];
}

// startPhone registers a sipp phone as the agent at serve's gateway and keeps the agent's
// leg up for stayMs: the agent's softphone.
async function startPhone(user, stayMs) {
  const scenario = join(here, "..", "..", "telephony", "testdata", "uac_agent.xml");
  let text = readFileSync(scenario, "utf8");
  const keys = { user, password: sipSecret(user), wait: "500", stay: String(stayMs), pcap: "/usr/share/sip-tester/g711a.pcap" };
  for (const [k, v] of Object.entries(keys)) text = text.split("[" + k + "]").join(v);
  const dir = mkdtempSync(join(tmpdir(), "huifang-phone-"));
  const sf = join(dir, "uac_agent.xml");
  writeFileSync(sf, text);
  const [port, mport] = [await freePort(), await freePort()];
  const phone = spawn("sipp", ["-sf", sf, "-i", "127.0.0.1", "-p", String(port), "-mp", String(mport), "-m", "1",
    "-t", "u1", "-nostdin", "-nr", "-timeout", String(Math.ceil(stayMs / 1000) + 30) + "s", `127.0.0.1:${sipPort}`],
    { cwd: dir, stdio: "ignore" });
  return phone;
}

test("an agent with a registered phone calls through the SIP gateway and the simulated carrier",
  { skip: process.env.E2E_BASE_URL ? "needs the server started by the test" : (haveSipp() ? false : "sipp is not installed") }, async () => {
    const phone = await startPhone("agent3", 90000);
    try {
      const agent = await login("agent3");
      await agent.waitForSelector("#conn.on");
      await agent.waitForSelector("#status:not(:empty)");
      await agent.selectOption("#mode", "preview");
      if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
      await waitPhase(agent, "preview");
      for (let i = 0; i < 2; i++) {
        await agent.waitForSelector("#card h2");
        const id = await taskID(agent);
        await agent.click("#btn-call");
        // The simulated carrier answers, rings out or rejects at random: hang up once
        // answered, or after ten seconds of ringing, unless it ended by itself.
        await agent.waitForSelector('#timer[data-call-state="answered"], #timer[data-call-state="ended"]', { timeout: 10000 }).catch(() => {});
        if (await agent.locator("#btn-hangup").isEnabled()) await agent.click("#btn-hangup");
        await waitPhase(agent, "wrapup");
        const state = await agent.locator("#timer").getAttribute("data-call-state");
        assert.equal(state, "ended");
        const answered = (await agent.locator("#timer").getAttribute("data-answered")) === "1";
        if (!(await agent.locator("#f-code").inputValue())) await agent.selectOption("#f-code", answered ? "reached" : "no_answer");
        await agent.keyboard.press("Control+Enter");
        await agent.waitForFunction((old) => {
          const c = document.getElementById("card");
          return (c.dataset.taskId && c.dataset.taskId !== old) || document.querySelector("#phase.p-idle");
        }, id);
        if (i === 0) await agent.screenshot({ path: join(artifacts, "console-gateway.png"), fullPage: true });
      }
      // The calls went through the gateway: their records name the carrier's SIP trunk,
      // not the development dialer.
      const viaGateway = execFileSync("psql", [process.env.DATABASE_URL, "-qAtc",
        "SELECT count(*) FROM call_attempts a JOIN users u ON u.id = a.agent_user_id WHERE u.username = 'agent3' AND a.trunk LIKE 'sip:%'"]).toString().trim();
      assert.equal(Number(viaGateway), 2, "both calls went through the gateway");
      const director = await login("director1");
      await director.goto(base + "/director/calls");
      assert.match(await director.locator("#dlist").textContent(), /陈静/);
    } finally {
      phone.kill("SIGTERM");
    }
  });

// shanghaiDay is the day in Asia/Shanghai (the demo dealer's zone) days from now.
function shanghaiDay(days) {
  return new Date(Date.now() + 8 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
}

// queueOf builds the demo dealer's queue as of day and lists it (huifang queue build/list).
function queueOf(day) {
  const bin = process.env.HUIFANG_BIN, dealer = process.env.E2E_DEALER || "E2E";
  execFileSync(bin, ["queue", "build", "--dealer", dealer, "--date", day]);
  return execFileSync(bin, ["queue", "list", "--dealer", dealer, "--date", day, "--json"]).toString()
    .split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

// Last in the file: building the queue as of later days expires what today's tests need.
test("a score of 1 opens a complaint; the director sees it live, assigns, responds, resolves; the satisfaction call is due three days later", async () => {
  const director = await login("director1");
  await director.goto(base + "/director/complaints");
  await director.waitForSelector('#notices[data-connected="1"]', { state: "attached" });

  // agent2, not agent3: agent3's registered phone (the test above) is gone and its calls would ring it.
  const agent = await login("agent2");
  await agent.waitForSelector("#conn.on");
  await agent.selectOption("#mode", "preview");
  if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
  // A task whose script has a score question (skip the others, with a reason).
  for (let i = 0; ; i++) {
    assert.ok(i < 10, "a task with a score question within ten");
    await waitPhase(agent, "preview");
    await agent.waitForSelector("#card h2");
    if (await agent.locator('#f-questions fieldset[data-kind="score"]').count()) break;
    const old = await taskID(agent);
    await agent.keyboard.press("F6");
    await agent.selectOption("#skip-reason", { index: 1 });
    await agent.click("#skip-confirm");
    await agent.waitForFunction((o) => document.getElementById("card").dataset.taskId !== o, old);
  }
  const salutation = (await agent.locator("#card h2").textContent()).trim();
  await agent.keyboard.press("F5");
  await agent.waitForSelector('#timer[data-call-state="answered"]');
  await agent.click("#btn-hangup");
  await waitPhase(agent, "wrapup");
  await agent.selectOption("#f-code", "reached");
  // A score of 1: the console asks whether to open a complaint; yes makes it one.
  let asked = "";
  agent.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await agent.locator('#f-questions fieldset[data-kind="score"] input[type=radio]').first().check();
  await agent.waitForFunction(() => document.getElementById("f-code").value === "complaint");
  assert.match(asked, /低分/);
  assert.ok(await agent.locator("#f-complaint").isVisible(), "the complaint's category is asked");
  await agent.selectOption("#f-complaint", "repair_quality");
  await agent.fill("#f-notes", "保养后发动机异响，客户很生气");
  await agent.keyboard.press("Control+Enter");
  await agent.waitForSelector("#flash:has-text('抱怨')");

  // Live on the director's page, without a reload.
  const notice = director.locator("#notices .notice.n-opened", { hasText: "保养后发动机异响" });
  await notice.waitFor();
  assert.match(await notice.textContent(), /维修质量/, "the category in words");
  await director.screenshot({ path: join(artifacts, "complaint-notice.png"), fullPage: true });
  await Promise.all([director.waitForURL(/\/director\/complaints\/\d+$/), notice.locator("a").click()]);
  const id = director.url().match(/(\d+)$/)[1];
  assert.match(await director.locator("#complaint-description").textContent(), /保养后发动机异响/);
  assert.match(await director.locator("#complaint-owner").textContent(), /赵强/, "the service director owns it");
  assert.equal(await director.locator("#complaint-call").count(), 1, "the call it came from");

  // Assign, respond, resolve.
  await director.selectOption("#f-owner", { label: "系统管理员" });
  await Promise.all([director.waitForURL(/saved=assign/), director.click("#form-assign button")]);
  assert.match(await director.locator("#complaint-owner").textContent(), /系统管理员/);
  await director.fill("#form-respond textarea", "已致电道歉，约明天上午来店检查");
  await Promise.all([director.waitForURL(/saved=respond/), director.click("#form-respond button")]);
  await director.fill("#form-resolve textarea", "更换正时皮带，客户试车确认无异响");
  await Promise.all([director.waitForURL(/saved=resolve/), director.click("#form-resolve button")]);
  assert.match(await director.locator("#complaint-status").textContent(), /已解决/);
  assert.ok((await director.locator("#timeline tr").count()) >= 4, "opened, assigned, responded, resolved");
  await director.screenshot({ path: join(artifacts, "complaint.png"), fullPage: true });

  // The low-score list has the call, with its complaint.
  await director.goto(base + "/director/low-scores");
  assert.match(await director.locator("#lowscores").textContent(), new RegExp("#" + id));

  // The satisfaction call: not on D+2, in the queue on D+3.
  const customer = Number(execFileSync("psql", [process.env.DATABASE_URL, "-qAtc",
    `SELECT customer_id FROM complaints WHERE id = ${Number(id)}`]).toString().trim());
  // The satisfaction call of this complaint, resolved today (the customer may have older ones).
  const said = "抱怨已于 " + shanghaiDay(0) + " 结案";
  const complaintTask = (day) => queueOf(day).find((t) => t.customer_id === customer && t.campaigns.includes("complaint") &&
    t.reasons.some((r) => r.includes(said) && r.includes("满意度回访")));
  assert.equal(complaintTask(shanghaiDay(2)), undefined, "not before D+3");
  const t3 = complaintTask(shanghaiDay(3));
  assert.ok(t3, "the satisfaction call is in the queue three days later");
  assert.ok(salutation.length > 0);
});
