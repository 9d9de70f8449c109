/**
 * `deno task screenshots`: starts the service with an admin key, gives it
 * some runs, keys and audit entries, and saves a screenshot of each console
 * page to docs/images/ (Debian's `chromium` through puppeteer-core).
 */
import puppeteer from "puppeteer-core";
import { startServer } from "../tests/helpers/server.ts";

const ADMIN = "screenshots-admin";
const OUT = new URL("../docs/images/", import.meta.url).pathname;

const server = await startServer({ FAAS_ADMIN_KEYS: ADMIN, FAAS_LOG_LEVEL: "error" });
const api = (method: string, path: string, body?: unknown, key = ADMIN) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json());

const runner = await api("POST", "/api/v1/keys", {
  tenant: "acme",
  role: "runner",
  name: "acme CI",
});
await api("POST", "/api/v1/keys", { tenant: "ops", role: "viewer", name: "on-call" });
const doomed = await api("POST", "/api/v1/keys", {
  tenant: "globex",
  role: "runner",
  name: "old CI",
});
await api("DELETE", `/api/v1/keys/${doomed.id}`);
// A minute of mixed traffic, so the overview's charts have a shape.
const codes = [
  ["python", "sum(range(1000))"],
  ["javascript", "return [1, 2, 3].map((x) => x * 2)"],
  ["python", "raise ValueError('bad row 17')"],
];
const until = Date.now() + 40_000;
let n = 0;
while (Date.now() < until) {
  const [language, code] = codes[n++ % codes.length];
  // Seven distinct snippets of each: new keys now and then, warm ones after.
  const comment = language === "python" ? "#" : "//";
  await api("POST", "/run_code", { language, code: `${code}\n${comment} ${n % 7}` }, runner.key);
  await new Promise((r) => setTimeout(r, 50));
}

// Dead letters, and a quota near its warning, for their pages.
for (const row of [3, 8, 21]) {
  await api("POST", "/jobs", {
    language: "python",
    code: `raise ValueError("bad row ${row}")`,
    retry_on: ["error"],
    max_attempts: 2,
  }, runner.key);
}
await api("PUT", "/api/v1/quota/acme", { invocations_per_day: 2000, warn_at: 0.5 });
await api("PUT", "/api/v1/quota/globex", { invocations_per_day: 50_000, cpu_ms_per_day: 600_000 });
await new Promise((r) => setTimeout(r, 3000));

const chromium = ["chromium", "chromium-browser", "google-chrome"].map((name) => {
  const out = new Deno.Command("which", { args: [name], stdout: "piped", stderr: "null" })
    .outputSync();
  return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
}).find(Boolean);
if (!chromium) throw new Error("No chromium found: apt-get install chromium");
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  Deno.mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`${server.url}/console`, { waitUntil: "networkidle0" });
  await page.type('input[name="key"]', ADMIN);
  await page.screenshot({ path: `${OUT}console-sign-in.png` });
  await page.click('button[type="submit"]');
  await page.waitForSelector("figure.chart canvas");
  await new Promise((r) => setTimeout(r, 3500));
  const pages = ["overview", "dlq", "usage", "retention", "audit", "keys"];
  for (const id of Deno.args.length ? Deno.args : pages) {
    await page.goto(`${server.url}/console#/${id}`, { waitUntil: "networkidle0" });
    await new Promise((r) => setTimeout(r, 800));
    await page.screenshot({ path: `${OUT}console-${id}.png`, fullPage: true });
    console.log(`docs/images/console-${id}.png`);
  }
  await page.setViewport({ width: 390, height: 844 });
  await page.goto(`${server.url}/console#/overview`, { waitUntil: "networkidle0" });
  await new Promise((r) => setTimeout(r, 800));
  await page.screenshot({ path: `${OUT}console-phone.png` });
} finally {
  await browser.close();
  await server.close();
}
