// Drives Debian's Chromium through playwright-core over the dashboard (scripts/dashboard-e2e).
// Usage: node check.mjs --chromium BIN --url URL --file FILE --empty FILE --report JSON --shots DIR --profile DIR
// Exit 1 with one line per failed check.
import { createRequire } from "node:module";
import { readFileSync, mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const require = createRequire(`${process.env.NODE_PATH}/`);
const { chromium } = require("playwright-core");

// A second implementation of the report's number formats (atel-hooks/src/table.rs).
const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const tokens = (n) => (n < 1e7 ? thousands(n) : n < 1e10 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e9).toFixed(2)}B`);
const usd = (v) => {
  if (!Number.isFinite(v)) return "-";
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  if (a >= 1) {
    const cents = Math.round(a * 100);
    return `${sign}$${thousands(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, "0")}`;
  }
  return `${sign}$${a.toFixed(4)}`;
};
const percent = (v) => `${v.toFixed(0)}%`;
const sum = (rows, key) => rows.reduce((acc, r) => acc + r[key], 0);

const report = JSON.parse(readFileSync(args.report, "utf8"));
const uses = sum(report.skills, "activations");
const expected = {
  "api-cost": usd(sum(report.models, "total_cost_usd")),
  requests: thousands(sum(report.models, "request_count")),
  "input-tokens": tokens(sum(report.models, "total_input")),
  "output-tokens": tokens(sum(report.models, "total_output")),
  sessions: thousands(report.sessions.length),
  "agent-runs": thousands(sum(report.agents, "invocations")),
  "agent-cost": usd(sum(report.agents, "est_cost_usd")),
  "skill-uses": thousands(uses),
  "skill-success": uses === 0 ? "-" : percent((sum(report.skills, "successes") * 100) / uses),
};

const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};
mkdirSync(args.shots, { recursive: true });

const context = await chromium.launchPersistentContext(args.profile, {
  executablePath: args.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 800 },
});
context.setDefaultTimeout(30_000);

/** A page that records console errors, page errors and every request. */
async function open(label) {
  const page = await context.newPage();
  const log = { errors: [], requests: [] };
  page.on("console", (m) => m.type() === "error" && log.errors.push(m.text()));
  page.on("pageerror", (e) => log.errors.push(String(e)));
  page.on("request", (r) => log.requests.push(r.url()));
  page.label = label;
  page.log = log;
  return page;
}

async function checkDashboard(page) {
  const label = page.label;
  for (const id of ["spend", "tokens", "agents", "skills", "tools"]) {
    const shape = await page.evaluate((id) => {
      const svg = document.querySelector(`#${id} svg`);
      if (!svg) return null;
      const box = svg.getBoundingClientRect();
      return {
        width: box.width,
        height: box.height,
        shapes: svg.querySelectorAll("rect, path, polyline, polygon, circle, line").length,
        titles: svg.querySelectorAll("title").length,
        texts: svg.querySelectorAll("text").length,
      };
    }, id);
    check(shape !== null, `${label}: #${id} has no SVG`);
    if (shape) {
      check(shape.width > 100 && shape.height > 50, `${label}: #${id} SVG is ${shape.width}x${shape.height}`);
      check(shape.shapes > 5 && shape.texts > 2, `${label}: #${id} SVG is empty (${JSON.stringify(shape)})`);
      check(shape.titles > 0, `${label}: #${id} SVG has no hover title`);
    }
  }
  const totals = await page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("[data-total]")].map((e) => [e.dataset.total, e.querySelector(".value").textContent]),
    ),
  );
  for (const [key, value] of Object.entries(expected)) {
    check(totals[key] === value, `${label}: total ${key} reads ${JSON.stringify(totals[key])}, report --json gives ${JSON.stringify(value)}`);
  }
  const hints = await page.textContent("#hints");
  check(hints.includes("Subagent usage, last"), `${label}: the SessionStart context is missing`);
  check(!(await page.content()).includes("could not be drawn"), `${label}: a chart could not be drawn`);
  return totals;
}

async function noHorizontalScroll(page) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(scroll <= inner, `${page.label}: scrolls sideways at ${inner} px (content ${scroll} px)`);
}

// 1. The served page, wide and narrow.
const served = await open("dashboard");
const loadStarted = Date.now();
const answer = await served.goto(args.url, { waitUntil: "load" });
const loadMs = Date.now() - loadStarted;
check(answer.status() === 200, `dashboard: HTTP ${answer.status()}`);
await checkDashboard(served);
await served.screenshot({ path: `${args.shots}/dashboard-1280.png`, fullPage: true });
await served.emulateMedia({ colorScheme: "dark" });
await served.screenshot({ path: `${args.shots}/dashboard-1280-dark.png`, fullPage: true });
await served.emulateMedia({ colorScheme: "light" });
await served.setViewportSize({ width: 400, height: 800 });
await served.reload({ waitUntil: "load" });
await checkDashboard(served);
await noHorizontalScroll(served);
await served.screenshot({ path: `${args.shots}/dashboard-400.png`, fullPage: true });

// 2. The costliest session's drill-down.
await served.setViewportSize({ width: 1280, height: 800 });
const first = report.sessions[0];
const link = served.locator("#sessions a").first();
const sessionId = await link.textContent();
await Promise.all([served.waitForNavigation({ waitUntil: "load" }), link.click()]);
const cost = await served.textContent("[data-total=session-cost] .value");
const wanted = report.sessions.find((s) => s.session_id === sessionId);
check(wanted !== undefined, `session: ${sessionId} is not in report --json`);
if (wanted) check(cost === usd(wanted.total_cost_usd), `session: cost ${cost}, report --json gives ${usd(wanted.total_cost_usd)}`);
check(first.session_id === sessionId, `session: the first link is ${sessionId}, the report's costliest is ${first.session_id}`);
const rows = await served.locator("table tbody tr").count();
check(rows > 0, "session: no request rows");
await served.screenshot({ path: `${args.shots}/session-1280.png`, fullPage: true });
const missing = await context.request.get(new URL("/nope", args.url).href);
check(missing.status() === 404, `/nope: HTTP ${missing.status()}`);

// 3. The --html file with every network request blocked: it must need none.
let blocked = 0;
await context.route("**/*", (route) => {
  if (route.request().url().startsWith("file:")) return route.continue();
  blocked += 1;
  return route.abort();
});
const file = await open("file");
await file.goto(pathToFileURL(args.file).href, { waitUntil: "load" });
await checkDashboard(file);
check(await file.locator("#session-0 tbody tr").count() > 0, "file: no inline session details");
await file.screenshot({ path: `${args.shots}/file-1280.png`, fullPage: true });
await file.setViewportSize({ width: 400, height: 800 });
await noHorizontalScroll(file);
await file.screenshot({ path: `${args.shots}/file-400.png`, fullPage: true });
const offsite = file.log.requests.filter((u) => !u.startsWith("file:"));
check(offsite.length === 0 && blocked === 0, `file: requested ${JSON.stringify(offsite)}`);

// 4. An empty workspace: no chart, and what to do instead.
const none = await open("empty");
await none.goto(pathToFileURL(args.empty).href, { waitUntil: "load" });
const advice = (await none.textContent("#empty")) ?? "";
check(advice.includes("atel-hooks install") && advice.includes("atel-hooks backfill"), `empty: says ${JSON.stringify(advice)}`);
check((await none.locator("svg").count()) === 0, "empty: draws charts without data");
check((await none.textContent("[data-total=api-cost] .value")) === "$0.0000", "empty: API cost is not $0.0000");
await none.screenshot({ path: `${args.shots}/empty-1280.png`, fullPage: true });

for (const page of [served, file, none]) {
  check(page.log.errors.length === 0, `${page.label}: console errors ${JSON.stringify(page.log.errors)}`);
}
await context.close();

const fileKb = (readFileSync(args.file).length / 1024).toFixed(0);
console.log(`    served page loaded in ${loadMs} ms (8 pipe queries); the --html file is ${fileKb} KiB`);
console.log(`    totals: ${Object.entries(expected).map(([k, v]) => `${k} ${v}`).join(", ")}`);
if (failures.length > 0) {
  for (const f of failures) console.error(`dashboard-e2e: ${f}`);
  process.exit(1);
}
console.log("    every chart rendered, totals equal report --json, no console error, the file needs no network");
