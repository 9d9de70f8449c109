/**
 * The two job stores keep one contract: claim order, owners passed over,
 * requeue with and without refund, finish guarded by status, dead-letter
 * retry, and recovery of running jobs. Redis runs as a real `redis-server`.
 */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { openJobStore } from "./open_store.ts";
import { createClient } from "redis";
import type { JobStore } from "./store.ts";
import { queuedJob } from "../tests/helpers/jobs.ts";

const job = queuedJob;

async function contract(t: Deno.TestContext, store: JobStore) {
  // Ids unique to this run, so a shared Redis database holds no strays.
  const tag = crypto.randomUUID().slice(0, 8);
  const id = (name: string) => `${tag}-${name}`;
  await store.insert([
    job(id("a-old"), `${tag}a`, "normal", 1),
    job(id("b-old"), `${tag}b`, "normal", 2),
    job(id("a-urgent"), `${tag}a`, "urgent", 3),
    job(id("b-new"), `${tag}b`, "normal", 4),
  ]);

  await t.step("claims by priority, then age, passing over saturated owners", async () => {
    assert.equal((await store.claim(10, 1000))?.id, id("a-urgent"));
    const claimed = await store.claim(11, 1000, [`${tag}a`]);
    assert.equal(claimed?.id, id("b-old"));
    assert.equal(claimed?.status, "running");
    assert.equal(claimed?.attempts, 1);
    assert.equal(await store.claim(12, 1000, [`${tag}a`, `${tag}b`]), undefined);
    assert.deepEqual(await store.activeCounts(), { queued: 2, running: 2 });
  });

  await t.step("an owner passed over never hides the others, however many it queued", async () => {
    const many = Array.from({ length: 1500 }, (_, i) => job(id(`x${i}`), `${tag}x`, "urgent", 5));
    await store.insert(many);
    await store.insert([job(id("y"), `${tag}y`, "low", 6)]);
    const skip = [`${tag}a`, `${tag}b`, `${tag}x`];
    assert.equal((await store.claim(12, 1000, skip))?.id, id("y"));
    assert.equal(await store.claim(12, 1000, skip), undefined);
    // Not passed over, the urgent ones come first again.
    assert.equal((await store.claim(12, 1000, [`${tag}a`, `${tag}b`]))?.owner, `${tag}x`);
    for (const j of many) await store.finish(j.id, ["queued", "running"], "cancelled", 13);
    await store.finish(id("y"), ["running"], "cancelled", 13);
  });

  await t.step("a refunded requeue is not an attempt; a plain one is", async () => {
    await store.requeue(id("b-old"), true);
    assert.equal((await store.get(id("b-old")))?.attempts, 0);
    assert.equal((await store.claim(13, 1000, [`${tag}a`]))?.id, id("b-old"));
    await store.requeue(id("b-old"), false);
    const again = await store.claim(14, 1000, [`${tag}a`]);
    assert.equal(again?.id, id("b-old"));
    assert.equal(again?.attempts, 2);
  });

  await t.step("finish applies only from the given statuses", async () => {
    assert.ok(!(await store.finish(id("a-old"), ["running"], "done", 20)));
    assert.ok(await store.finish(id("b-old"), ["running"], "dead", 20, { error: "gone" }));
    const dead = await store.get(id("b-old"));
    assert.equal(dead?.status, "dead");
    assert.equal(dead?.error, "gone");
    assert.ok((await store.list(`${tag}b`, "dead", 10)).some((j) => j.id === id("b-old")));
    assert.ok(await store.retry(id("b-old")));
    assert.ok(!(await store.retry(id("b-old"))));
    assert.equal((await store.get(id("b-old")))?.attempts, 0);
  });

  await t.step("finished jobs expire", async () => {
    assert.ok(await store.finish(id("a-urgent"), ["running"], "done", 30, { result: { ok: 1 } }));
    assert.deepEqual((await store.get(id("a-urgent")))?.result, { ok: 1 });
    assert.ok((await store.deleteFinishedBefore(31)) >= 1);
    assert.equal(await store.get(id("a-urgent")), undefined);
  });
}

Deno.test("the SQLite job store keeps the store contract", async (t) => {
  const store = openJobStore(":memory:");
  try {
    await contract(t, store);
    await t.step("running jobs are queued again at start", async () => {
      const running = await store.claim(40, 1000);
      assert.ok(running);
      assert.equal(await store.recover(50, false), 0);
      assert.equal(await store.recover(50, true), 1);
      assert.equal((await store.get(running.id))?.status, "queued");
    });
  } finally {
    await store.close();
  }
});

Deno.test("the Redis job store keeps the store contract", async (t) => {
  const redis = await startRedis();
  const store = openJobStore(redis.url);
  try {
    await contract(t, store);
    await t.step("queues written without a queue per owner are brought up to date", async () => {
      const raw = createClient({ url: redis.url });
      await raw.connect();
      try {
        // A job as an older version queued it: in the one queue only.
        await store.insert([job("old-layout", "o1", "normal", 50)]);
        await raw.zRem("faas:queue:o1", "old-layout");
        await raw.sRem("faas:queued-owners", "o1");
        await raw.del("faas:layout");
        // Other owners' jobs left queued by the steps above are passed over.
        const others = async (owner: string) =>
          (await raw.sMembers("faas:queued-owners")).filter((o) => o !== owner);
        const skipOld = await others("o1");
        const upgraded = openJobStore(redis.url);
        try {
          assert.equal((await upgraded.claim(51, 1000, skipOld))?.id, "old-layout");
          // Taken by an older version, still at its owner's head: never claimed twice.
          await upgraded.insert([job("stale", "o2", "normal", 52)]);
          assert.equal((await upgraded.claim(53, 1000, await others("o2")))?.id, "stale");
          await raw.zAdd("faas:queue:o2", { score: 1, value: "stale" });
          await raw.sAdd("faas:queued-owners", "o2");
          assert.equal(await upgraded.claim(54, 1000, await others("o2")), undefined);
          assert.equal((await upgraded.get("stale"))?.attempts, 1);
          for (const id of ["old-layout", "stale"]) {
            await upgraded.finish(id, ["running"], "cancelled", 55);
          }
        } finally {
          await upgraded.close();
        }
      } finally {
        await raw.close();
      }
    });

    await t.step("running jobs are queued again when their lease ran out", async () => {
      const running = await store.claim(40, 1000);
      assert.ok(running);
      assert.equal(await store.recover(1039, false), 0);
      await store.renew([running.id], 2000);
      assert.equal(await store.recover(1500, false), 0);
      assert.equal(await store.recover(2001, false), 1);
      assert.equal((await store.get(running.id))?.status, "queued");
    });
  } finally {
    await store.close();
    await redis.stop();
  }
});
