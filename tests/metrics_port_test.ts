/**
 * FAAS_METRICS_PORT: metrics and health on a port of their own, which never
 * runs code; the main port keeps serving everything.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config/config.ts";
import { freePort } from "./helpers/ports.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test({
  name: "metrics and health can be served on a separate port that runs no code",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const [port, metricsPort] = [freePort(), freePort()];
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--cached-only", "-A", "main.ts"],
      cwd: root,
      env: {
        FAAS_HOST: "127.0.0.1",
        FAAS_PORT: String(port),
        FAAS_METRICS_PORT: String(metricsPort),
        FAAS_POOL_SIZE: "2",
      },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const ops = `http://127.0.0.1:${metricsPort}`;
    const main = `http://127.0.0.1:${port}`;
    try {
      const deadline = performance.now() + 30000;
      let ready = false;
      while (!ready && performance.now() < deadline) {
        ready = await fetch(`${ops}/health`).then((r) => r.body?.cancel().then(() => r.ok))
          .catch(() => false) ?? false;
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(ready, "healthy on the metrics port");
      const metrics = await fetch(`${ops}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /faas_build_info/);
      const live = await fetch(`${ops}/health/live`);
      assert.equal(live.status, 200);
      await live.body?.cancel();
      const run = { method: "POST", body: JSON.stringify({ language: "js", code: "return 7" }) };
      const refused = await fetch(`${ops}/run_code`, run);
      assert.equal(refused.status, 404);
      await refused.body?.cancel();
      const ran = await (await fetch(`${main}/run_code`, run)).json();
      assert.equal(ran.output.ret_val, "7");
      const mainMetrics = await fetch(`${main}/metrics`);
      assert.equal(mainMetrics.status, 200);
      await mainMetrics.body?.cancel();
    } finally {
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
    }
  },
});

Deno.test("FAAS_METRICS_PORT must differ from FAAS_PORT", () => {
  assert.throws(
    () => loadConfig({ FAAS_PORT: "8000", FAAS_METRICS_PORT: "8000" }),
    (e: unknown) => e instanceof ConfigError && /FAAS_METRICS_PORT \(8000\)/.test(e.message),
  );
  assert.equal(loadConfig({}).metricsPort, undefined);
  assert.equal(loadConfig({ FAAS_METRICS_PORT: "9464" }).metricsPort, 9464);
});
