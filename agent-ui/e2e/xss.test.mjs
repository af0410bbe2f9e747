// XSS in a real browser (make security, through xss_run.sh): customer names, call notes
// and SMS templates hold script payloads; the pages that show them are opened as a
// director and as an agent, and no payload may run or become an element.
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
mkdirSync(artifacts, { recursive: true });
const { E2E_PASSWORD: password, E2E_CUSTOMER: customer, E2E_FROM: from, E2E_TO: to } = process.env;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

let serve, browser, base;

before(async () => {
  assert.ok(process.env.HUIFANG_BIN && customer, "run through xss_run.sh");
  const [httpPort, sipPort, cbPort] = [await freePort(), await freePort(), await freePort()];
  base = `http://127.0.0.1:${httpPort}`;
  const log = createWriteStream(join(artifacts, "xss-serve.log"));
  serve = spawn(process.env.HUIFANG_BIN, ["serve"], {
    env: { ...process.env, HUIFANG_HTTP_ADDR: `127.0.0.1:${httpPort}`, HUIFANG_PUBLIC_URL: base,
      HUIFANG_SIP_ADDR: `127.0.0.1:${sipPort}`, HUIFANG_METRICS_ADDR: "off", HUIFANG_SMS_CALLBACK_ADDR: `127.0.0.1:${cbPort}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  serve.stdout.pipe(log);
  serve.stderr.pipe(log);
  for (let i = 0; ; i++) {
    if (serve.exitCode !== null) throw new Error("huifang serve exited; see xss-serve.log");
    try { if ((await fetch(base + "/healthz")).ok) break; } catch { /* not up yet */ }
    if (i > 150) throw new Error("huifang serve did not become healthy in 30 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
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
  const seen = { dialogs: 0, violations: [] };
  page.on("dialog", (d) => { seen.dialogs++; d.dismiss(); });
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) seen.violations.push(m.text()); });
  await page.goto(base + "/login");
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([page.waitForURL(/\/(console|wallboard)$/), page.click("#login-submit")]);
  return { page, seen };
}

// check opens path and asserts that no payload ran or became an element; it returns how
// many times the payload's text shows, escaped, on the page.
async function check({ page, seen }, path) {
  const resp = await page.goto(base + path);
  assert.ok(resp.ok(), `${path}: ${resp.status()}`);
  await page.waitForLoadState("networkidle");
  const r = await page.evaluate(() => ({
    xss: window.__xss,
    imgs: document.querySelectorAll('img[src="x"], svg[onload]').length,
    inline: [...document.scripts].filter((s) => s.textContent.includes("__xss")).length,
    shown: (document.body.innerText.match(/onerror=/g) || []).length,
  }));
  assert.equal(r.xss, undefined, `${path}: a payload ran`);
  assert.equal(r.imgs, 0, `${path}: a payload became an element`);
  assert.equal(r.inline, 0, `${path}: a payload became a script`);
  assert.equal(seen.dialogs, 0, `${path}: a dialog opened`);
  assert.deepEqual(seen.violations, [], `${path}: the CSP blocked an injected script (the page did not escape it)`);
  await page.screenshot({ path: join(artifacts, "xss" + path.replace(/[^a-z0-9]+/gi, "-") + ".png") });
  return r.shown;
}

test("no script payload runs on the pages that show customer names, notes and SMS templates", async () => {
  const director = await login("director1");
  let shown = 0;
  for (const path of [`/director/calls?from=${from}&to=${to}`, `/customers/${customer}`, "/director/sms/templates",
    "/director/sms/new", `/director/daily/list?kind=due&day=${to}`, "/director/checks", "/wallboard"]) {
    shown += await check(director, path);
  }
  // The call pages, with the notes.
  await director.page.goto(`${base}/director/calls?from=${from}&to=${to}`);
  const links = await director.page.locator('#dlist a[href^="/director/calls/"]').evaluateAll((as) => as.slice(0, 3).map((a) => a.getAttribute("href")));
  assert.ok(links.length > 0, "calls with notes to open");
  for (const href of links) shown += await check(director, href);
  assert.ok(shown > 0, "the payloads are on the pages, shown as text");

  const agent = await login("agent1");
  await check(agent, `/customers/${customer}`);
  await check(agent, "/console");
});
