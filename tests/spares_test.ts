/**
 * Spares follow the rate of new isolation keys: a stream of new keys makes
 * a host keep more than its configured spare, and once the stream has
 * passed the extra spares are dropped again.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "spares follow the rate of new keys",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One Python host (the pool cannot grow) with one spare configured.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_IDLE_TIMEOUT: "1000",
    });
    const python = async () =>
      (await (await fetch(`${server.url}/health`)).json()).pools.python.instances;
    try {
      await t.step("a stream of new keys raises the spares beyond the configured one", async () => {
        // Four callers at once, so the arrival rate outruns a spare's start
        // however slow the machine (one caller alone waits for each start).
        let most = 0;
        const caller = async (c: number) => {
          for (let i = 0; i < 8; i++) {
            const { body } = await server.run({
              language: "python",
              code: `# key ${c}.${i}\nprint(${i})`,
            });
            assert.equal(body.metadata.status, "success", JSON.stringify(body));
            most = Math.max(most, (await python()).spare);
          }
        };
        await Promise.all([0, 1, 2, 3].map(caller));
        // No run is in flight now, so an instance still starting is a spare
        // too: the pool has decided to keep it.
        for (let i = 0; i < 80 && most < 2; i++) {
          const now = await python();
          most = Math.max(most, now.spare + now.starting);
          await sleep(100);
        }
        assert.ok(most >= 2, `spares peaked at ${most}`);
      });
      await t.step("once the stream has passed, the extra spares are dropped", async () => {
        // Settled: the configured spare ready and nothing more starting.
        let now = await python();
        for (let i = 0; i < 200 && !(now.spare === 1 && now.starting === 0); i++) {
          await sleep(100);
          now = await python();
        }
        assert.deepEqual([now.spare, now.starting], [1, 0], JSON.stringify(now));
      });
    } finally {
      await server.close();
    }
  },
});
