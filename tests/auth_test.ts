/**
 * API keys: Bearer authentication, open routes, per-key limits, and keys
 * kept out of logs and metrics.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config/config.ts";
import { Logger } from "../core/log.ts";
import { keyId } from "../routes/auth.ts";
import { createService } from "../service/service.ts";

const keyA = `key-a-${crypto.randomUUID()}`;
const keyB = `key-b-${crypto.randomUUID()}`;

Deno.test({
  name: "API keys guard run_code and limit each key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const file = Deno.makeTempFileSync();
    Deno.writeTextFileSync(file, `# keys\n${keyB}\n`);
    const lines: string[] = [];
    const service = createService(
      loadConfig({
        FAAS_POOL_SIZE: "2",
        FAAS_API_KEYS: keyA,
        FAAS_API_KEYS_FILE: file,
        FAAS_KEY_RUNS_PER_MINUTE: "4",
        FAAS_KEY_MAX_CONCURRENT: "1",
      }),
      new Logger("info", "json", (line) => lines.push(line)),
    );
    await service.ready();
    const run = (key: string | undefined, code = "1") =>
      Promise.resolve(service.app.request("/run_code", {
        method: "POST",
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
        body: JSON.stringify({ language: "python", code }),
      }));

    await t.step("a request without a key gets 401 JSON", async () => {
      const res = await run(undefined);
      assert.equal(res.status, 401);
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.match((await res.json()).error, /Missing API key/);
    });

    await t.step("a wrong key gets 401", async () => {
      for (const header of [`Bearer ${keyA}x`, `Basic ${keyA}`, `Bearer`, keyA]) {
        const res = await service.app.request("/run_code", {
          method: "POST",
          headers: { authorization: header },
          body: JSON.stringify({ language: "python", code: "1" }),
        });
        assert.equal(res.status, 401, header);
        await res.body?.cancel();
      }
    });

    await t.step("X-Auth-Token, Judge0's header, carries a key too", async () => {
      const status = async (headers: Record<string, string>) => {
        const res = await service.app.request("/jobs/none", { headers });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await status({ "x-auth-token": keyB }), 404);
      assert.equal(await status({ "x-auth-token": `${keyB}x` }), 401);
      // Authorization, when sent, is the one read.
      assert.equal(await status({ authorization: `Bearer ${keyA}`, "x-auth-token": "x" }), 404);
      assert.equal(await status({ authorization: "Bearer x", "x-auth-token": keyA }), 401);
    });

    await t.step("keys from the list and from the file both work", async () => {
      for (const key of [keyA, keyB]) {
        const res = await run(key);
        assert.equal(res.status, 200);
        assert.equal((await res.json()).output.ret_val, "1");
      }
    });

    await t.step("health and metrics stay open", async () => {
      for (const path of ["/health", "/health/live", "/metrics"]) {
        const res = await service.app.request(path);
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
    });

    await t.step("runs per minute are limited per key with RateLimit headers", async () => {
      // keyA has used 1 of 4.
      for (const remaining of ["2", "1", "0"]) {
        const res = await run(keyA);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("ratelimit-limit"), "4");
        assert.equal(res.headers.get("ratelimit-remaining"), remaining);
        await res.body?.cancel();
      }
      const refused = await run(keyA);
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.get("ratelimit-remaining"), "0");
      const retry = Number(refused.headers.get("retry-after"));
      assert.ok(retry >= 1 && retry <= 60, String(retry));
      assert.match((await refused.json()).error, new RegExp(`4 runs per minute .*${keyId(keyA)}`));
      // Submitting a job counts against the same budget.
      const job = await service.app.request("/jobs", {
        method: "POST",
        headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" },
        body: JSON.stringify({ language: "js", code: "return 1" }),
      });
      assert.equal(job.status, 429);
      await job.body?.cancel();
      // Another key has its own budget.
      const other = await run(keyB);
      assert.equal(other.status, 200);
      await other.body?.cancel();
    });

    await t.step("concurrent runs are limited per key", async () => {
      const slow = run(keyB, "import time\ntime.sleep(0.5)\n1");
      await new Promise((r) => setTimeout(r, 100));
      const second = await run(keyB);
      assert.equal(second.status, 429);
      assert.match((await second.json()).error, /already has 1 runs in progress/);
      assert.equal((await slow).status, 200);
    });

    await t.step("a streamed run counts as in progress until it ends", async () => {
      const res = await service.app.request("/run_code", {
        method: "POST",
        headers: { authorization: `Bearer ${keyB}`, accept: "text/event-stream" },
        body: JSON.stringify({ language: "python", code: "import time\ntime.sleep(0.5)\n1" }),
      });
      assert.equal(res.status, 200);
      const second = await run(keyB);
      assert.equal(second.status, 429);
      assert.match((await second.json()).error, /already has 1 runs in progress/);
      assert.match(await res.text(), /event: result/);
      // Released once it ended: the next refusal is the key's minute budget, not its runs.
      const after = await run(keyB);
      assert.equal(after.status, 429);
      assert.match((await after.json()).error, /runs per minute/);
    });

    await t.step("keys never reach logs or metrics; the key id does", async () => {
      const metrics = await (await service.app.request("/metrics")).text();
      const all = lines.join("\n") + metrics;
      assert.ok(!all.includes(keyA) && !all.includes(keyB));
      // Both per-key refusals above were counted.
      assert.match(metrics, /faas_rejections_total\{reason="key_rate_limit"\} [1-9]/);
      assert.match(metrics, /faas_rejections_total\{reason="key_concurrency"\} 2/);
      assert.ok(lines.some((l) => JSON.parse(l).key_id === keyId(keyA)));
    });

    await service.shutdown(0);
    Deno.removeSync(file);
  },
});

Deno.test("open routes are configurable and a missing key file stops start-up", () => {
  const config = loadConfig({ FAAS_API_KEYS: "k", FAAS_OPEN_ROUTES: "/health/live" });
  assert.deepEqual([...config.openRoutes], ["/health/live"]);
  assert.throws(
    () => loadConfig({ FAAS_API_KEYS_FILE: "/nonexistent/keys" }),
    (e: unknown) => e instanceof ConfigError && e.message.includes("FAAS_API_KEYS_FILE"),
  );
});

Deno.test({
  name: "metrics can be closed to callers without a key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const service = createService(
      loadConfig({ FAAS_POOL_SIZE: "2", FAAS_API_KEYS: keyA, FAAS_OPEN_ROUTES: "/health/live" }),
      new Logger("error", "json", () => {}),
    );
    const closed = await service.app.request("/metrics");
    assert.equal(closed.status, 401);
    await closed.body?.cancel();
    const opened = await service.app.request("/metrics", {
      headers: { authorization: `Bearer ${keyA}` },
    });
    assert.equal(opened.status, 200);
    await opened.body?.cancel();
    const live = await service.app.request("/health/live");
    assert.equal(live.status, 200);
    await live.body?.cancel();
    await service.shutdown(0);
  },
});
