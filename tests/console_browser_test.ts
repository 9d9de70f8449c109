/// <reference lib="dom" />
/**
 * The operator console in headless Chromium (Debian's `chromium`, driven
 * by puppeteer-core): signing in with each role, the live overview, keys
 * made and revoked from the page, the audit log filtered and exported, a
 * phone-sized window, labels and contrast on every page, and that no
 * request leaves the service and no page error occurs.
 */
import assert from "node:assert/strict";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { startServer, type TestServer } from "./helpers/server.ts";

const ADMIN = "console-admin-key";

const CHROMIUM = ["chromium", "chromium-browser", "google-chrome"].map((name) => {
  try {
    const out = new Deno.Command("which", { args: [name], stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}).find(Boolean);

async function makeKey(server: TestServer, role: string, tenant: string) {
  const res = await fetch(`${server.url}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ tenant, role, name: `${role} of ${tenant}` }),
  });
  assert.equal(res.status, 201);
  return (await res.json()) as { id: string; key: string };
}

/** A page that records every request and every error it sees. */
async function watchedPage(browser: Browser, origin: string) {
  const page = await browser.newPage();
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:")) {
      foreign.push(url);
    }
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  page.on("response", (res) => {
    if (res.status() >= 400) errors.push(`${res.status()} ${res.url()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  return { page, foreign, errors };
}

async function signIn(page: Page, url: string, key: string) {
  await page.goto(`${url}/console`, { waitUntil: "networkidle0" });
  await page.type('input[name="key"]', key);
  await page.click('button[type="submit"]');
}

const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent?.trim() ?? ""));

/**
 * Clicks the first `selector` element whose text starts with `text`, inside
 * the page and once it exists: a page that re-renders on its own (the dead
 * letters refresh as jobs die) would detach an element handle taken before.
 */
async function clickButton(page: Page, selector: string, text: string) {
  await page.waitForFunction(
    (selector, text) => {
      const button = [...document.querySelectorAll<HTMLElement>(selector)]
        .find((e) => (e.textContent ?? "").startsWith(text));
      button?.click();
      return button !== undefined;
    },
    {},
    selector,
    text,
  );
}

/** Opens every page of the console's navigation in turn, settled, and checks it. */
async function eachPage(page: Page, url: string, check: (href: string) => Promise<void>) {
  const pages = await page.$$eval("header nav a", (as) => as.map((a) => a.getAttribute("href")!));
  for (const href of pages) {
    await page.goto(`${url}/console${href}`, { waitUntil: "networkidle0" });
    await new Promise((r) => setTimeout(r, 300));
    await check(href);
  }
}

/**
 * Visible text whose colour against its background is below WCAG 2's AA
 * ratio (4.5:1, or 3:1 for large text), as "tag text ratio". Backgrounds
 * are the element's and its ancestors' colours blended; disabled controls
 * are exempt, as WCAG allows.
 */
function lowContrastText(): string[] {
  type Rgba = { r: number; g: number; b: number; a: number };
  const parse = (css: string): Rgba | undefined => {
    const m = css.match(/rgba?\(([^)]+)\)/);
    if (!m) return undefined;
    const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return { r, g, b, a };
  };
  const over = (top: Rgba, under: Rgba): Rgba => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  const luminance = ({ r, g, b }: Rgba) => {
    const f = (v: number) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el: Element): Rgba => {
    const layers: Rgba[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) layers.push(c);
      if (c && c.a >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), {
      r: 255,
      g: 255,
      b: 255,
      a: 1,
    });
  };
  const low: string[] = [];
  for (const el of document.querySelectorAll("body *")) {
    const text = [...el.childNodes]
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent ?? "")
      .join("")
      .trim();
    if (!text || el.getClientRects().length === 0 || (el as HTMLButtonElement).disabled) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== "visible") continue;
    const bg = background(el);
    const fg = over(parse(style.color) ?? { r: 0, g: 0, b: 0, a: 1 }, bg);
    const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      low.push(`${el.tagName.toLowerCase()} "${text.slice(0, 40)}" ${ratio.toFixed(2)}`);
    }
  }
  return low;
}

Deno.test({
  name: "console works in a real browser for each role",
  ignore: CHROMIUM === undefined,
  async fn(t) {
    const server = await startServer({ FAAS_ADMIN_KEYS: ADMIN });
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    const downloads = await Deno.makeTempDir();
    try {
      const origin = new URL(server.url).origin;
      const viewer = await makeKey(server, "viewer", "ops");
      const runner = await makeKey(server, "runner", "acme");
      // Some runs, one of them failing, for the overview.
      for (const code of ["return 1", "throw new Error('console demo')"]) {
        await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { authorization: `Bearer ${runner.key}`, "content-type": "application/json" },
          body: JSON.stringify({ language: "javascript", code }),
        }).then((r) => r.body?.cancel());
      }
      const { page, foreign, errors } = await watchedPage(browser, origin);
      await page.setViewport({ width: 1280, height: 900 });

      await t.step("an admin signs in and sees the pools, live", async () => {
        await signIn(page, server.url, ADMIN);
        await page.waitForSelector('[data-stat="python-spare"]');
        const nav = await texts(page, "header nav a");
        assert.deepEqual(nav, [
          "Overview",
          "Dead letters",
          "Usage and quotas",
          "Retention and settings",
          "Audit",
          "Keys",
        ]);
        const spare = Number(await page.$eval('[data-stat="python-spare"]', (e) => e.textContent));
        assert.ok(spare >= 0);
        // The overview refreshes without a reload: the completed count follows new runs.
        const before = Number(await page.$eval('[data-stat="completed"]', (e) => e.textContent));
        await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { authorization: `Bearer ${runner.key}`, "content-type": "application/json" },
          body: JSON.stringify({ language: "javascript", code: "return 2" }),
        }).then((r) => r.body?.cancel());
        await page.waitForFunction(
          (n) => Number(document.querySelector('[data-stat="completed"]')?.textContent) > n,
          { timeout: 10_000 },
          before,
        );
        assert.ok(await page.$("figure.chart canvas"), "charts are drawn");
      });

      await t.step("the admin makes a key, sees its secret once, and revokes it", async () => {
        await page.click('a[href="#/keys"]');
        await page.waitForSelector('input[name="tenant"]');
        await page.type('input[name="tenant"]', "globex");
        await page.select('select[name="role"]', "runner");
        await page.type('input[name="name"]', "made in the console");
        await page.click("form.card button[type=submit]");
        await page.waitForSelector("[data-secret]");
        const secret = await page.$eval("[data-secret]", (e) => e.textContent ?? "");
        assert.match(secret, /^fsk_/);
        const ok = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify({ language: "javascript", code: "return 3" }),
        });
        assert.equal(ok.status, 200);
        await ok.body?.cancel();
        const id = await page.$eval(
          "[data-secret]",
          (e) => e.closest("section")?.querySelector("h3")?.textContent?.split(" ")[1] ?? "",
        );
        await page.click(`tr[data-key="${id}"] button`);
        await page.waitForSelector("dialog[open]");
        const message = await page.$eval("dialog[open] p", (e) => e.textContent ?? "");
        assert.match(message, new RegExp(id));
        await page.click("dialog[open] button.danger");
        await page.waitForFunction(
          (id) => !document.querySelector(`tr[data-key="${id}"]`),
          {},
          id,
        );
        const gone = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
          body: JSON.stringify({ language: "javascript", code: "return 3" }),
        });
        assert.equal(gone.status, 401);
        await gone.body?.cancel();
      });

      await t.step("the audit log filters by action and downloads as CSV", async () => {
        await page.click('a[href="#/audit"]');
        await page.waitForSelector("tr[data-audit]");
        await page.select('select[name="action"]', "key.revoke");
        await page.click("form.filters button[type=submit]");
        await page.waitForFunction(() =>
          [...document.querySelectorAll("tr[data-audit]")].every((r) =>
            r.getAttribute("data-audit") === "key.revoke"
          ) && document.querySelectorAll("tr[data-audit]").length === 1
        );
        await page.click("tr[data-audit] button");
        await page.waitForSelector("tr.detail pre");
        const before = await page.$eval("tr.detail", (e) => e.textContent ?? "");
        assert.match(before, /made in the console/);
        const cdp = await page.createCDPSession();
        await cdp.send("Browser.setDownloadBehavior", {
          behavior: "allow",
          downloadPath: downloads,
        });
        const buttons = await page.$$("form.filters button");
        for (const b of buttons) {
          if ((await b.evaluate((e) => e.textContent)) === "Export CSV") await b.click();
        }
        let csv = "";
        for (let i = 0; i < 50 && !csv; i++) {
          await new Promise((r) => setTimeout(r, 100));
          try {
            csv = await Deno.readTextFile(`${downloads}/audit.csv`);
          } catch {
            // Not there yet.
          }
        }
        const lines = csv.trim().split("\r\n");
        assert.equal(
          lines[0],
          "time,actor,role,action,target,outcome,request_id,reason,before,after",
        );
        assert.equal(lines.length, 2);
        assert.match(lines[1], /"key\.revoke"/);
      });

      await t.step("usage shows a tenant's runs and its quota turning to a warning", async () => {
        const put = await fetch(`${server.url}/api/v1/quota/acme`, {
          method: "PUT",
          headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
          body: JSON.stringify({ invocations_per_day: 4, warn_at: 0.5 }),
        });
        assert.equal(put.status, 200);
        await put.body?.cancel();
        await page.click('a[href="#/usage"]');
        await page.waitForSelector('tr[data-tenant="acme"]');
        const row = await page.$eval('tr[data-tenant="acme"]', (e) => ({
          warning: e.classList.contains("warning"),
          text: e.textContent ?? "",
          bar: e.querySelector(".bar.warn") !== null,
        }));
        assert.ok(row.warning, row.text);
        assert.ok(row.bar);
        assert.match(row.text, /Warning: past 50%/);
        // The admin edits the quota from the page.
        await page.click('tr[data-tenant="acme"] button');
        await page.waitForSelector('form[aria-label="Quota of acme"]');
        const field = 'form[aria-label="Quota of acme"] input[name="invocations_per_day"]';
        await page.$eval(field, (e) => ((e as HTMLInputElement).value = ""));
        await page.type(field, "1000");
        await page.click('form[aria-label="Quota of acme"] button[type=submit]');
        await page.waitForFunction(() =>
          !document.querySelector('tr[data-tenant="acme"]')?.classList.contains("warning")
        );
        const quota = await (await fetch(`${server.url}/api/v1/quota/acme`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })).json();
        assert.equal(quota.limits.invocations_per_day, 1000);
      });

      await t.step("dead letters are listed, detailed, retried, discarded and purged", async () => {
        const ids: string[] = [];
        for (const row of [1, 2, 3]) {
          const res = await fetch(`${server.url}/jobs`, {
            method: "POST",
            headers: { authorization: `Bearer ${runner.key}`, "content-type": "application/json" },
            body: JSON.stringify({
              language: "python",
              code: `raise ValueError("bad row ${row}")`,
              retry_on: ["error"],
              max_attempts: 1,
            }),
          });
          ids.push((await res.json()).id);
        }
        for (const id of ids) {
          const job = await (await fetch(`${server.url}/jobs/${id}?wait=20`, {
            headers: { authorization: `Bearer ${runner.key}` },
          })).json();
          assert.equal(job.status, "dead");
        }
        await page.click('a[href="#/dlq"]');
        await page.waitForSelector("tr[data-dlq]");
        assert.equal((await page.$$("tr[data-dlq]")).length, 3);
        const pending = () => page.$eval('[data-dlq-stat="pending"]', (e) => e.textContent);
        assert.equal(await pending(), "3");
        await page.click(`tr[data-dlq="${ids[0]}"] button`);
        await page.waitForSelector("pre[data-code]");
        assert.match(await page.$eval("pre[data-code]", (e) => e.textContent ?? ""), /bad row 1/);
        assert.ok(await page.$("tr[data-attempt='1']"), "the attempt is listed");
        await page.click(`tr[data-dlq="${ids[0]}"] input[type=checkbox]`);
        await clickButton(page, "button", "Retry selected");
        // The page says so; its job may run and die again before the stats are read.
        await page.waitForFunction(() =>
          [...document.querySelectorAll('[role="status"]')].some((e) =>
            e.textContent?.includes("Retried 1 of 1")
          )
        );
        // The retried job runs the same code and dies again; wait for that,
        // so that the purge below sees every letter there will be.
        let again: { status?: string } = {};
        for (let i = 0; i < 10 && again.status !== "dead"; i++) {
          again = await (await fetch(`${server.url}/jobs/${ids[0]}?wait=5`, {
            headers: { authorization: `Bearer ${runner.key}` },
          })).json();
        }
        assert.equal(again.status, "dead");
        const retried = await (await fetch(`${server.url}/api/v1/dlq/${ids[0]}`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })).json();
        assert.ok(retried.history.length >= 1);
        await clickButton(page, `tr[data-dlq="${ids[1]}"] button`, "Discard");
        await page.waitForFunction(() =>
          document.querySelector('[data-dlq-stat="discarded"]')?.textContent === "1"
        );
        await clickButton(page, "button.danger", "Purge");
        await page.waitForSelector("dialog[open]");
        const message = await page.$eval("dialog[open] p", (e) => e.textContent ?? "");
        // The retried job died again (same code), so it is pending once more.
        const [, count] = message.match(/^(\d+) dead letters \(2 pending, 1 discarded\)/) ?? [];
        assert.ok(count, message);
        await page.click("dialog[open] button.danger");
        await page.waitForFunction(
          (n) => document.querySelector('[role="status"]')?.textContent?.includes(`Purged ${n}`),
          {},
          count,
        );
        // The stats reload after the notice shows.
        await page.waitForFunction(() =>
          document.querySelector('[data-dlq-stat="pending"]')?.textContent === "0"
        );
        assert.equal(await pending(), "0");
      });

      await t.step("retention shows what is kept, cleans up now, and edits settings", async () => {
        await page.click('a[href="#/retention"]');
        await page.waitForSelector("tr[data-kind]");
        const settingsText = await page.$eval("main", (e) => e.textContent ?? "");
        assert.ok(!settingsText.includes(ADMIN), "a secret is shown");
        assert.match(settingsText, /\*\*\*/);
        const danger = await page.$$("button.danger");
        for (const b of danger) {
          if ((await b.evaluate((e) => e.textContent)) === "Clean up now") await b.click();
        }
        await page.waitForSelector("dialog[open]");
        await page.click("dialog[open] button.danger");
        await page.waitForSelector("[data-deleted]");
        assert.match(
          await page.$eval("[data-deleted]", (e) => e.textContent ?? ""),
          /^Deleted \d+ jobs, \d+ dead letters, \d+ audit, \d+ usage history\.$/,
        );
        const input = 'tr[data-setting="retention.audit_days"] input';
        await page.$eval(input, (e) => ((e as HTMLInputElement).value = ""));
        await page.type(input, "45");
        await page.click('tr[data-setting="retention.audit_days"] button[type=submit]');
        await page.waitForFunction(() =>
          document.querySelector('tr[data-setting="retention.audit_days"] td:nth-child(3)')
            ?.textContent === "runtime"
        );
        const setting = await (await fetch(`${server.url}/api/v1/settings/retention.audit_days`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        })).json();
        assert.equal(setting.value, 45);
      });

      await t.step("on a phone-sized window the pages fit", async () => {
        await page.setViewport({ width: 390, height: 844 });
        await page.click('a[href="#/overview"]');
        await page.waitForSelector('[data-stat="python-spare"]');
        const fits = await page.evaluate(() =>
          document.documentElement.scrollWidth <= innerWidth + 1
        );
        assert.ok(fits, "the page scrolls sideways");
        await page.setViewport({ width: 1280, height: 900 });
      });

      await t.step("a viewer sees everything and no control that changes anything", async () => {
        await page.click("header button");
        await signIn(page, server.url, viewer.key);
        await page.waitForSelector('[data-stat="python-spare"]');
        await page.click('a[href="#/keys"]');
        await page.waitForSelector("tr[data-key]");
        assert.equal(await page.$('input[name="tenant"]'), null);
        assert.equal((await page.$$("tr[data-key] button")).length, 0);
        await page.click('a[href="#/dlq"]');
        await page.waitForSelector('[data-dlq-stat="total"]');
        const controls = await page.$$eval(
          "main button",
          (bs) => bs.map((b) => b.textContent ?? "").filter((t) => /Retry|Discard|Purge/.test(t)),
        );
        assert.deepEqual(controls, []);
        await page.click('a[href="#/retention"]');
        await page.waitForSelector("tr[data-kind]");
        assert.equal(await page.$("tr[data-setting] form"), null);
      });

      await t.step("a runner key is told it has no access", async () => {
        await page.click("header button");
        await signIn(page, server.url, runner.key);
        await page.waitForSelector('[role="alert"]');
        const alert = await page.$eval('[role="alert"]', (e) => e.textContent ?? "");
        assert.match(alert, /no access/);
      });

      await t.step(
        "every control is labelled, and signing in works from the keyboard",
        async () => {
          await page.goto(`${server.url}/console`, { waitUntil: "networkidle0" });
          // The key field has focus; typing and Enter sign in, no mouse needed.
          await page.keyboard.type(ADMIN);
          await page.keyboard.press("Enter");
          await page.waitForSelector('[data-stat="python-spare"]');
          await eachPage(page, server.url, async (href) => {
            const unlabelled = await page.evaluate(() => [
              ...[...document.querySelectorAll("input, select, textarea")]
                .filter((e) =>
                  !(e as HTMLInputElement).labels?.length && !e.getAttribute("aria-label")
                )
                .map((e) => e.outerHTML),
              ...[...document.querySelectorAll("button")]
                .filter((b) => !b.textContent?.trim() && !b.getAttribute("aria-label"))
                .map((b) => b.outerHTML),
            ]);
            assert.deepEqual(unlabelled, [], href);
          });
        },
      );

      await t.step("text on every page meets WCAG AA contrast", async () => {
        await eachPage(page, server.url, async (href) => {
          assert.deepEqual(await page.evaluate(lowContrastText), [], href);
        });
        // The sign-in form, and the alert a refused key gets.
        await page.click("header button");
        await page.waitForSelector('input[name="key"]');
        assert.deepEqual(await page.evaluate(lowContrastText), [], "sign-in");
        await signIn(page, server.url, runner.key);
        await page.waitForSelector('[role="alert"]');
        assert.deepEqual(await page.evaluate(lowContrastText), [], "refused key");
      });

      await t.step("no request left the service and no page error occurred", () => {
        assert.deepEqual(foreign, []);
        // Refused sign-ins are the page's expected 403, logged by the browser as a failed load.
        assert.deepEqual(
          errors.filter((e) => !/status of 403/.test(e) && !/^403 .*\/api\/v1\/me$/.test(e)),
          [],
        );
      });
    } finally {
      await browser.close();
      await server.close();
      await Deno.remove(downloads, { recursive: true });
    }
  },
});
