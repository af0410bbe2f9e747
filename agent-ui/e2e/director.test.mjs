// End-to-end test of the director console in a real browser (Debian's Chromium driven by
// playwright-core). director_run.sh prepares a fresh database with a demo dealer and
// yesterday's recorded calls; this file starts `huifang serve` on a free loopback port.
// A director finds yesterday's calls of agent1, plays a recording (range requests),
// scores the call, and agent1 sees the score.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { mkdirSync, createWriteStream } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const password = process.env.E2E_PASSWORD || "e2e-pass-123";
const day = process.env.E2E_DAY;
mkdirSync(artifacts, { recursive: true });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

let serve, browser, base;

before(async () => {
  assert.ok(process.env.HUIFANG_BIN && process.env.DATABASE_URL && day, "run through director_run.sh");
  const [httpPort, sipPort, cbPort] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  const log = createWriteStream(join(artifacts, "director-serve.log"));
  serve = spawn(process.env.HUIFANG_BIN, ["serve"], {
    env: { ...process.env, HUIFANG_HTTP_ADDR: `127.0.0.1:${httpPort}`, HUIFANG_PUBLIC_URL: base,
      HUIFANG_SIP_ADDR: `127.0.0.1:${sipPort}`, HUIFANG_LOG_LEVEL: "info",
      // Fixed default ports may be taken by another huifang on the machine.
      HUIFANG_METRICS_ADDR: "off", HUIFANG_SMS_CALLBACK_ADDR: `127.0.0.1:${cbPort}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  serve.stdout.pipe(log);
  serve.stderr.pipe(log);
  for (let i = 0; ; i++) {
    if (serve.exitCode !== null) throw new Error("huifang serve exited; see director-serve.log");
    try { if ((await fetch(base + "/healthz")).ok) break; } catch { /* not up yet */ }
    if (i > 150) throw new Error("huifang serve did not become healthy in 30 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--autoplay-policy=no-user-gesture-required"],
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

async function login(username) {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/(console|wallboard)$/), page.click("#login-submit")]);
  return page;
}

test("a director finds an agent's calls, plays one, scores it; the agent sees the score", async () => {
  const director = await login("director1");
  await director.goto(`${base}/director/calls?from=${day}&to=${day}`);
  const agentValue = await director.locator("#f-agent option", { hasText: "(agent1)" }).getAttribute("value");
  await director.selectOption("#f-agent", agentValue);
  await Promise.all([director.waitForURL(/agent=/), director.click("#f-search")]);
  const rows = director.locator("#dlist tbody tr");
  assert.equal(await rows.count(), 6, "agent1's six calls of yesterday");
  const agentName = await rows.first().locator("td").nth(1).textContent();
  for (let i = 0; i < 6; i++) assert.equal(await rows.nth(i).locator("td").nth(1).textContent(), agentName);
  await director.screenshot({ path: join(artifacts, "director-calls.png"), fullPage: true });

  // Open the first call and play its recording: the audio loads with 206 range responses.
  const statuses = [];
  director.on("response", (r) => { if (r.url().includes("/director/recordings/")) statuses.push(r.status()); });
  await Promise.all([director.waitForURL(/\/director\/calls\/\d+$/), rows.first().locator("a").first().click()]);
  const callURL = director.url();
  assert.match(await director.locator("#call-reasons").textContent(), /\S/);
  // The script version in words (issue 13 item 10), its code kept in data-version.
  assert.equal(await director.locator(".script-version").first().getAttribute("data-version"), "maintenance@1");
  assert.equal(await director.locator(".script-version").first().textContent(), "定保（第 1 版）");
  await director.waitForSelector("#player");
  await director.evaluate(() => document.getElementById("player").play());
  await director.waitForFunction(() => document.getElementById("player").currentTime > 0.3);
  await director.evaluate(() => { document.getElementById("player").currentTime = 4; });
  await director.waitForFunction(() => document.getElementById("player").currentTime >= 4);
  const duration = await director.evaluate(() => document.getElementById("player").duration);
  assert.ok(Math.abs(duration - 6) < 0.1, `duration ${duration}`);
  assert.ok(statuses.includes(206), `range responses: ${statuses}`);
  assert.ok(statuses.every((s) => s === 200 || s === 206), `statuses: ${statuses}`);

  // Score it: every item full marks but courtesy, fail, coaching, a comment.
  const inputs = director.locator('#score-form input[type="number"]');
  const n = await inputs.count();
  assert.ok(n >= 5, "the rubric's items");
  for (let i = 0; i < n; i++) await inputs.nth(i).fill(await inputs.nth(i).getAttribute("max"));
  await director.fill('input[name="s_courtesy"]', "3");
  await director.check('input[name="result"][value="fail"]');
  await director.check('input[name="coaching"]');
  await director.fill('textarea[name="comment"]', "e2e：结束语不够礼貌");
  await Promise.all([director.waitForURL(/saved=1/), director.click("#save-score")]);
  await director.waitForSelector("#score-saved");
  assert.match(await director.locator("#check-status").textContent(), /88\/100/);
  await director.screenshot({ path: join(artifacts, "director-call.png"), fullPage: true });

  // The daily check, the KPIs and an export open.
  await director.goto(`${base}/director/daily?day=${day}`);
  await director.waitForSelector("#dlist");
  await director.screenshot({ path: join(artifacts, "director-daily.png"), fullPage: true });
  await director.goto(`${base}/director/kpi`);
  await director.waitForSelector("#kpi-first_maintenance svg");
  await director.screenshot({ path: join(artifacts, "director-kpi.png"), fullPage: true });
  const xlsx = await director.request.get(`${base}/director/calls?from=${day}&to=${day}&format=xlsx`);
  assert.equal(xlsx.status(), 200);
  assert.equal((await xlsx.body()).subarray(0, 2).toString(), "PK", "an xlsx (zip) file");

  // The agent sees the score and the comment; the director pages stay closed to agents.
  const agent = await login("agent1");
  await agent.goto(base + "/my/checks");
  assert.match(await agent.locator(".mycheck").first().textContent(), /88\/100[\s\S]*e2e：结束语不够礼貌/);
  await agent.screenshot({ path: join(artifacts, "agent-checks.png"), fullPage: true });
  const resp = await agent.goto(callURL);
  assert.equal(resp.status(), 403);
});

test("a director changes a rule, the calling window and a holiday; an admin adds an agent who logs in", async () => {
  const director = await login("director1");
  await director.goto(`${base}/director/rules`);
  // A rule number: the 15-day care call 10 days after delivery.
  await director.fill('input[name="s_care_15day_due"]', "10");
  await Promise.all([director.waitForURL(/saved=1/), director.click('#settings-form button.primary')]);
  assert.equal(await director.inputValue('input[name="s_care_15day_due"]'), "10");
  // A bad value is refused with the problem named, nothing saved.
  await director.fill('input[name="s_care_15day_due"]', "99");
  await director.click('#settings-form button.primary');
  await director.waitForSelector("#rules-error");
  assert.match(await director.locator("#rules-error").textContent(), /care_15day/);
  await director.goto(`${base}/director/rules`);
  assert.equal(await director.inputValue('input[name="s_care_15day_due"]'), "10");
  // The calling window and a holiday.
  await director.fill('#window-form input[name="start"]', "08:30");
  await director.fill('#window-form input[name="end"]', "20:00");
  await Promise.all([director.waitForURL(/saved=1/), director.click('#window-form button.primary')]);
  assert.equal(await director.inputValue('#window-form input[name="start"]'), "08:30");
  await director.fill('#holiday-form input[name="day"]', "2026-10-01");
  await director.fill('#holiday-form input[name="name"]', "国庆");
  await Promise.all([director.waitForURL(/saved=1/), director.click('#holiday-form button.primary')]);
  assert.match(await director.locator("#holidays").textContent(), /2026-10-01[\s\S]*国庆/);
  await director.screenshot({ path: join(artifacts, "director-rules.png"), fullPage: true });

  // The admin adds an agent, who can log in with the password the admin gave.
  const admin = await login("admin");
  await admin.goto(`${base}/admin/users`);
  await admin.fill('#add-user input[name="username"]', "e2e.zhao");
  await admin.fill('#add-user input[name="display_name"]', "客服 赵敏");
  await admin.selectOption('#add-user select[name="role"]', "agent");
  await admin.fill('#add-user input[name="password"]', "zhao-pass-2026");
  await admin.click("#add-user button.primary");
  await admin.waitForSelector("#sip-secret"); // the agent's SIP secret, shown once
  await admin.waitForSelector("#user-e2e\\.zhao");
  // A Chinese user name is refused with words saying where a Chinese name goes.
  await admin.fill('#add-user input[name="username"]', "赵敏");
  await admin.fill('#add-user input[name="display_name"]', "赵敏");
  await admin.fill('#add-user input[name="password"]', "zhao-pass-2026");
  await admin.click("#add-user button.primary");
  await admin.waitForSelector("#admin-error");
  assert.match(await admin.locator("#admin-error").textContent(), /中文姓名请填在“姓名”一栏/);
  assert.equal(await admin.inputValue('#add-user input[name="display_name"]'), "赵敏", "the form keeps what was typed");
  // Edit a name and role: the agent becomes 组长 赵敏, still an agent.
  const row = admin.locator("#user-e2e\\.zhao");
  await row.locator("details.user-edit summary").click();
  await row.locator('details.user-edit input[name="display_name"]').fill("组长 赵敏");
  await Promise.all([admin.waitForURL(/done=update/), row.locator("details.user-edit button").click()]);
  assert.match(await admin.locator("#user-e2e\\.zhao").textContent(), /组长 赵敏/);
  // A password reset needs its row's confirmation box ticked.
  await admin.locator("#user-e2e\\.zhao details.user-passwd summary").click();
  await admin.locator('#user-e2e\\.zhao details.user-passwd input[name="password"]').fill("zhao-pass-2027");
  assert.equal(await admin.locator('#user-e2e\\.zhao details.user-passwd input[name="confirm"]').evaluate((e) => e.validity.valid), false);
  await admin.locator('#user-e2e\\.zhao details.user-passwd input[name="confirm"]').check();
  await admin.screenshot({ path: join(artifacts, "admin-users-reset.png"), fullPage: true });
  await Promise.all([admin.waitForURL(/done=passwd/), admin.locator("#user-e2e\\.zhao details.user-passwd button").click()]);
  await admin.screenshot({ path: join(artifacts, "admin-users.png"), fullPage: true });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN" });
  const page = await ctx.newPage();
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', "e2e.zhao");
  await page.fill('input[name="password"]', "zhao-pass-2027");
  await Promise.all([page.waitForURL(/\/console$/), page.click("#login-submit")]);
  assert.match(await page.locator("header .who").textContent(), /组长 赵敏/);

  // An error is a page in Chinese inside the layout, with the field named and a way back.
  await director.goto(`${base}/director/calls?from=2026-05-10&to=2026-05-01`);
  assert.match(await director.locator("#error-message").textContent(), /结束日期 2026-05-01 早于开始日期 2026-05-10/);
  assert.ok(await director.locator("header.top nav").isVisible(), "the navigation is there");
  await Promise.all([director.waitForURL(/\/director\/calls$/), director.click("#error-back")]);
  const forbidden = await page.goto(`${base}/director/calls`);
  assert.equal(forbidden.status(), 403);
  assert.match(await page.locator("#error-message").textContent(), /您没有权限打开这个页面/);
  await page.screenshot({ path: join(artifacts, "agent-forbidden.png"), fullPage: true });
});

test("a director previews and starts an SMS campaign to pasted customers", async () => {
  const director = await login("director1");
  await director.goto(`${base}/director/sms`);
  await Promise.all([director.waitForURL(/\/director\/sms\/new/), director.click('a[href="/director/sms/new"]')]);
  const form = director.locator("#sms-campaign-form");
  await form.locator('input[name="code"]').fill("e2e-holiday");
  await form.locator('select[name="template"]').selectOption("holiday");
  await form.locator('input[name="audience"][value="customers"]').check();
  await form.locator('textarea[name="customers"]').fill("1\n2\n3\n13000000000");
  await form.locator('button[name="preview"]').click();
  await director.waitForSelector("#campaign-preview");
  assert.equal((await director.locator("#preview-count").textContent()).trim(), "3");
  assert.match(await director.locator("#campaign-unknown").textContent(), /13000000000/);

  await director.locator("#sms-campaign-form button.primary").click();
  await director.waitForSelector("#campaign-result");
  const n = async (id) => Number((await director.locator(`#campaign-result #${id}`).first().textContent()).trim());
  const total = (await n("res-queued")) + (await n("res-held")) + (await n("res-suppressed")) + (await n("res-skipped"));
  assert.equal(total, 3, "the three customers got a message (queued, held for quiet hours, or suppressed)");
  await director.screenshot({ path: join(artifacts, "director-sms-new.png"), fullPage: true });

  // The campaign shows in the director's figures.
  await director.goto(`${base}/director/sms`);
  assert.match(await director.locator("main").textContent(), /e2e-holiday/);
});

// Issue 12: a script may only put in variables. A loop is refused in Chinese; markup typed
// into a script is shown as text in the editor's preview and on the agent's console, and
// nothing in it runs or becomes an element.
test("a director edits a script with the form; markup in it stays text everywhere", async () => {
  const director = await login("director1");
  const errors = [];
  director.on("pageerror", (e) => errors.push(String(e)));
  await director.goto(`${base}/scripts/maintenance`);
  const opening = director.locator('textarea[name="opening"]');
  assert.match(await opening.inputValue(), /\{称呼\}/, "the seeded script in the new syntax");

  // A variable inserted from the list at the cursor; the preview follows as one types.
  await opening.fill("您好，");
  await opening.press("End");
  await director.click('#script-vars button[data-insert="{称呼}"]');
  assert.equal(await opening.inputValue(), "您好，{称呼}");
  await director.waitForFunction(() => document.getElementById("pv-opening")?.textContent === "您好，王先生");
  // A partial sample customer drops the optional part.
  await opening.fill("您好，{称呼}，您的爱车[（{车牌}）]到保养时间了");
  await director.waitForFunction(() => document.getElementById("pv-opening")?.textContent.includes("（粤A12345）"));
  await director.selectOption("#preview-sample", "partial");
  await director.waitForFunction(() => document.getElementById("pv-opening")?.textContent === "您好，王先生，您的爱车到保养时间了");

  // A loop: refused live and on saving, in Chinese, next to the field; nothing saved.
  await opening.fill("{{range 100000}}{{range 100000}}您好{{end}}{{end}}");
  await director.waitForFunction(() => /开场白：不能使用 \{\{ \}\} 模板写法/.test(document.getElementById("preview-problems").textContent));
  await director.click("#script-save");
  await director.waitForSelector("#script-problems");
  assert.match(await director.locator("#script-problems").textContent(), /开场白：不能使用 \{\{ \}\} 模板写法/);
  assert.match(await director.locator(".field-error").first().textContent(), /开场白/);
  await director.screenshot({ path: join(artifacts, "director-script-refused.png"), fullPage: true });

  // Markup: saved as words, shown as words.
  const evil = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';
  await director.locator('textarea[name="opening"]').fill("您好，{称呼}。" + evil);
  await director.fill('input[name="note"]', "e2e 标记测试");
  await Promise.all([director.waitForURL(/saved=maintenance%40/), director.click("#script-save")]);
  await director.waitForSelector("#script-saved");
  assert.equal(await director.locator("#pv-opening").textContent(), "您好，王先生。" + evil);
  assert.equal(await director.locator("#preview img, #preview script").count(), 0);
  await director.locator('textarea[name="closing"]').press("End"); // a live refresh of the preview
  await director.locator('textarea[name="closing"]').type("！");
  await director.waitForFunction(() => document.getElementById("pv-closing")?.textContent.endsWith("！"));
  assert.equal(await director.locator("#preview img, #preview script").count(), 0);
  assert.notEqual(await director.title(), "pwned");
  await director.screenshot({ path: join(artifacts, "director-script-form.png"), fullPage: true });

  // Every campaign's opening carries the markup, so whatever task the agent gets shows it.
  await director.goto(`${base}/director/rules`);
  await director.fill('#window-form input[name="start"]', "00:00");
  await director.fill('#window-form input[name="end"]', "23:59");
  await director.fill('#window-form input[name="same_day_end"]', "23:59");
  await Promise.all([director.waitForURL(/saved=1/), director.click('#window-form button.primary')]);
  await director.goto(`${base}/scripts`);
  const campaigns = await director.locator('a[href^="/scripts/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const href of campaigns) {
    await director.goto(base + href);
    const status = await director.evaluate(async (evil) => {
      const form = document.getElementById("script-form");
      const body = new URLSearchParams(new FormData(form));
      body.set("opening", "您好，{称呼}。" + evil);
      return (await fetch(form.action, { method: "POST", body, redirect: "manual" })).status;
    }, evil);
    assert.ok(status === 0 || status === 303, `${href}: ${status}`);
  }

  const agent = await login("agent1");
  agent.on("pageerror", (e) => errors.push(String(e)));
  await agent.waitForSelector("#conn.on");
  await agent.selectOption("#mode", "preview");
  if (await agent.locator("#btn-ready").isEnabled()) await agent.click("#btn-ready");
  await agent.waitForSelector("#script .say");
  assert.ok((await agent.locator("#script .say").first().textContent()).includes(evil), "the markup shown as words");
  assert.equal(await agent.locator("#script img, #script script").count(), 0, "no element made from the script");
  assert.notEqual(await agent.title(), "pwned");
  await agent.screenshot({ path: join(artifacts, "agent-script-markup.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
