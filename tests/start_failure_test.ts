/**
 * A runtime whose hosts cannot start (Pyodide's files unreadable) is retried
 * with backoff, not in a hot loop, and reported; the other runtime serves.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config/config.ts";
import { createService } from "../service/service.ts";

Deno.test({
  name: "hosts that fail to start are retried with backoff and reported",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const empty = Deno.makeTempDirSync({ prefix: "no-pyodide-" });
    const service = createService(loadConfig({
      FAAS_POOL_SIZE: "2",
      FAAS_PYODIDE_DIR: empty,
    }));
    const health = async () => {
      const res = await service.app.request("/health");
      return { code: res.status, body: await res.json() };
    };

    await t.step("JavaScript still serves while Python cannot start", async () => {
      const deadline = performance.now() + 15000;
      while (!service.pools.javascript.everReady && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const res = await service.app.request("/run_code", {
        method: "POST",
        body: JSON.stringify({ language: "js", code: "return 1" }),
      });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).output.ret_val, "1");
    });

    await t.step("Python runs get 503 with Retry-After", async () => {
      const res = await service.app.request("/run_code", {
        method: "POST",
        body: JSON.stringify({ language: "python", code: "1" }),
      });
      assert.equal(res.status, 503);
      assert.ok(res.headers.get("retry-after"));
      assert.match((await res.json()).error, /python/);
    });

    await t.step("starts back off instead of looping hot", async () => {
      await new Promise((r) => setTimeout(r, 3000));
      const text = await (await service.app.request("/metrics")).text();
      const starts = Number(
        text.match(/faas_instance_starts_total\{language="python",reason="\w+"\} (\d+)/g)
          ?.map((line) => Number(line.split(" ").pop()))
          .reduce((a, b) => a + b, 0),
      );
      // 100, 200, 400, 800, 1600 ms backoff: a handful of tries in ~4 s,
      // where a hot loop would have made dozens.
      assert.ok(starts >= 2 && starts <= 8, `python host starts: ${starts}`);
    });

    await t.step("/health is not ready and says why; liveness stays 200", async () => {
      const { code, body } = await health();
      assert.equal(code, 503);
      assert.equal(body.status, "degraded");
      assert.ok(body.pools.python.start_failures >= 3);
      assert.equal(body.pools.python.can_serve, false);
      assert.match(body.pools.python.failure, /exited before it was ready/);
      assert.match(body.pools.python.last_start_error, /exited before it was ready/);
      assert.equal(body.pools.javascript.can_serve, true);
      assert.equal((await service.app.request("/health/live")).status, 200);
    });

    await t.step("Python runs now fail at once with 503 naming the cause", async () => {
      const started = performance.now();
      const res = await service.app.request("/run_code", {
        method: "POST",
        body: JSON.stringify({ language: "python", code: "1" }),
      });
      assert.equal(res.status, 503);
      assert.match((await res.json()).error, /No python instance can start \(.*exited before/);
      assert.ok(performance.now() - started < 1000, "answered at once");
    });

    await service.shutdown(0);
    Deno.removeSync(empty, { recursive: true });
  },
});
