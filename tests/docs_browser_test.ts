/**
 * The docs page in a real browser: headless Chromium (Debian's `chromium`)
 * loads `/docs` from a running service, the page renders the operations and
 * schema fields from `/openapi.json`, and a run submitted from the page
 * shows its output. Driven over the Chrome DevTools Protocol.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const CHROMIUM = ["chromium", "chromium-browser", "google-chrome"].find((name) => {
  try {
    return new Deno.Command("which", { args: [name], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
});

/** A minimal CDP session over the page target's WebSocket. */
class Page {
  #ws: WebSocket;
  #next = 1;
  #pending = new Map<number, (value: { result?: unknown; error?: unknown }) => void>();
  /** URLs of every request the page made (Network domain). */
  readonly requests: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (e) => {
      const msg = JSON.parse(e.data);
      if (msg.method === "Network.requestWillBeSent") this.requests.push(msg.params.request.url);
      this.#pending.get(msg.id)?.(msg);
      this.#pending.delete(msg.id);
    };
  }

  static async open(wsUrl: string): Promise<Page> {
    const ws = new WebSocket(wsUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return new Page(ws);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, (msg) => {
        if (msg.error) reject(new Error(JSON.stringify(msg.error)));
        else resolve(msg.result as Record<string, unknown>);
      });
    });
  }

  /** Evaluates `expression` in the page; returns its value. */
  async eval<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", { expression, returnByValue: true });
    return (r.result as { value: T }).value;
  }

  /** Evaluates `expression` until it is truthy; returns that value. */
  async waitFor<T>(expression: string, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const value = await this.eval<T>(expression);
      if (value) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Timed out waiting for ${what}`);
  }

  close(): void {
    this.#ws.close();
  }
}

Deno.test({
  name: "the docs page renders the API and runs code in a real browser",
  ignore: CHROMIUM === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2" });
    const profile = Deno.makeTempDirSync({ prefix: "faas-chromium-" });
    const browser = new Deno.Command(CHROMIUM!, {
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let page: Page | undefined;
    try {
      // Chromium prints its DevTools address on stderr.
      const reader = browser.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      let port = "";
      while (!port) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`Chromium exited: ${text}`);
        text += value;
        port = text.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//)?.[1] ?? "";
      }
      reader.releaseLock();
      browser.stderr.cancel().catch(() => {});
      const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      const target = targets.find((x: { type: string }) => x.type === "page");
      page = await Page.open(target.webSocketDebuggerUrl);
      await page.send("Runtime.enable");
      await page.send("Network.enable");
      // Any request to somewhere other than the service is a failure.
      await page.send("Page.navigate", { url: `${server.url}/docs` });

      await t.step("the operations and the request schema's fields render", async () => {
        const ops = await page!.waitFor<string[]>(
          `[...document.querySelectorAll(".opblock-summary-path")].map((e) => e.textContent)` +
            `.filter(Boolean).length >= 5 && [...document.querySelectorAll(".opblock-summary-path")].map((e) => e.textContent)`,
          "the operations",
        );
        for (const path of ["/run_code", "/health", "/metrics", "/runtimes"]) {
          assert.ok(ops.some((p) => p.includes(path)), `${path} in ${ops}`);
        }
        const models = await page!.waitFor<string>(
          `document.querySelector(".models")?.textContent`,
          "the schemas section",
        );
        assert.match(models, /RunRequest/);
        // Open the request schema and find its fields.
        await page!.eval(
          `[...document.querySelectorAll(".models .model-box-control, .models button")]` +
            `.find((e) => e.textContent.includes("RunRequest"))?.click()`,
        );
        const fields = await page!.waitFor<string>(
          `(() => { const t = document.querySelector(".models")?.textContent ?? "";` +
            ` return t.includes("language") && t.includes("priority") && t; })()`,
          "the RunRequest fields",
        );
        assert.match(fields, /timeout/);
        assert.match(fields, /tenant/);
      });

      await t.step("a run submitted from the page shows its output", async () => {
        await page!.eval(
          `document.querySelector("#operations-default-runCode .opblock-summary-control")?.click()`,
        );
        // The Execute button, with the first sample in the request body editor.
        await page!.waitFor(
          `!!document.querySelector("#operations-default-runCode .execute") &&` +
            ` (document.querySelector("#operations-default-runCode textarea")?.value ?? "")` +
            `.includes("statistics")`,
          "the Execute button and the sample request",
        );
        await page!.eval(`document.querySelector("#operations-default-runCode .execute").click()`);
        const shown = await page!.waitFor<string>(
          `(() => { const t = document.querySelector("#operations-default-runCode").innerText;` +
            ` return t.includes("Server response") && t.includes("ret_val") && t; })()`,
          "the run's response",
        );
        // The first sample (Python): the mean of [1, 2, 3, 4].
        assert.match(shown, /"ret_val":\s*"2\.5"/);
        assert.match(shown, /"stdout":\s*"mean of \[1, 2, 3, 4\]\\n"/);
        assert.match(shown, /"status":\s*"success"/);
      });

      await t.step("the page requested nothing from anywhere but the service", () => {
        assert.ok(page!.requests.length >= 4, String(page!.requests));
        const elsewhere = page!.requests.filter((u) =>
          !u.startsWith(server.url) && !u.startsWith("data:")
        );
        assert.deepEqual(elsewhere, []);
      });
    } finally {
      page?.close();
      browser.kill("SIGKILL");
      await browser.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      await server.close();
    }
  },
});
