/**
 * Usage and quotas with two replicas on one Redis (a real `redis-server`):
 * usage counted on both adds up, a quota set through one is enforced by the
 * other (runs per day and runs in progress).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { startRedis } from "./helpers/redis.ts";
import { call, makeKey, type QuotaBody, run, sleep, usageOf } from "./helpers/admin_api.ts";

Deno.test({
  name: "two replicas on one Redis enforce one quota and add up their usage",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const redis = await startRedis();
    const env = {
      FAAS_ADMIN_KEYS: "adm",
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_STORE: redis.url,
    };
    const a = await startServer(env);
    const b = await startServer(env);
    try {
      const key = await makeKey(a, "shared", "runner");

      await t.step("usage counted on both replicas adds up", async () => {
        for (const s of [a, b, a, b, b]) assert.equal((await run(s, key, "1")).status, 200);
        // Each replica writes its counts within a second.
        await sleep(1500);
        assert.equal((await usageOf(a, "shared")).invocations, 5);
        assert.equal((await usageOf(b, "shared")).invocations, 5);
      });

      await t.step("a quota set on one replica is enforced on the other", async () => {
        const put = await call<QuotaBody>(a, "adm", "PUT", "/api/v1/quota/shared", {
          invocations_per_day: 7,
        });
        assert.equal(put.status, 200);
        assert.equal(put.body.used.invocations_per_day, 5, "seeded from the day's usage");
        // Limits are read again at most a second later.
        await sleep(1100);
        assert.equal((await run(b, key, "1")).status, 200);
        assert.equal((await run(a, key, "1")).status, 200);
        const over = await run(b, key, "1");
        assert.equal(over.status, 429);
        assert.deepEqual([over.body.limit, over.body.used], [7, 7]);
        assert.equal((await run(a, key, "1")).status, 429);
      });

      await t.step("runs in progress are counted across replicas", async () => {
        await call(b, "adm", "PUT", "/api/v1/quota/shared", { max_concurrent: 1 });
        await sleep(1100);
        const slow = run(a, key, "import time\ntime.sleep(1.5)");
        await sleep(500);
        const refused = await run(b, key, "1");
        assert.equal(refused.status, 429);
        assert.equal(refused.body.quota, "max_concurrent");
        assert.equal((await slow).status, 200);
        assert.equal((await run(b, key, "1")).status, 200);
      });
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  },
});
