/**
 * The two kinds of quota counters keep one contract: a day's runs start
 * from their seed and are charged all or none against the limit, refunds
 * give runs back, runs in progress are counted against their limit and
 * released once. Redis runs as a real `redis-server`, shared by two
 * counters as two replicas would share it; concurrent charges and slots
 * never let more through than the limit.
 */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { LocalQuotaCounters } from "./local_quota_counters.ts";
import { RedisQuotaCounters } from "./redis_quota_counters.ts";
import type { QuotaCounters } from "./quota_types.ts";

const DAY = Date.UTC(2026, 0, 10);

async function contract(t: Deno.TestContext, a: QuotaCounters, b: QuotaCounters) {
  const tenant = `${crypto.randomUUID().slice(0, 8)}:t`;
  let seeds = 0;
  const seed = () => (seeds++, Promise.resolve(2));

  await t.step("a day starts from its seed and is charged up to the limit", async () => {
    assert.equal(await a.runsCharged(tenant, DAY), undefined);
    assert.deepEqual(await a.chargeRuns(tenant, DAY, 1, 5, seed), { ok: true, used: 2 });
    assert.deepEqual(await b.chargeRuns(tenant, DAY, 2, 5, seed), { ok: true, used: 3 });
    assert.deepEqual(await a.chargeRuns(tenant, DAY, 1, 5, seed), { ok: false, used: 5 });
    assert.equal(await b.runsCharged(tenant, DAY), 5);
    assert.equal(await a.runsCharged(tenant, DAY + 86_400_000), undefined, "another day");
  });

  await t.step("a batch is charged whole or not at all; refunds give runs back", async () => {
    await a.refundRuns(tenant, DAY, 2);
    assert.deepEqual(await b.chargeRuns(tenant, DAY, 3, 5, seed), { ok: false, used: 3 });
    assert.deepEqual(await b.chargeRuns(tenant, DAY, 2, 5, seed), { ok: true, used: 3 });
  });

  await t.step("forgetting a day starts it from its seed again", async () => {
    await a.forget(tenant, DAY);
    assert.equal(await b.runsCharged(tenant, DAY), undefined);
    assert.deepEqual(await b.chargeRuns(tenant, DAY, 1, 5, seed), { ok: true, used: 2 });
  });

  await t.step("concurrent charges never pass the limit", async () => {
    const other = `${tenant}-race`;
    const zero = () => Promise.resolve(0);
    const charges = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).chargeRuns(other, DAY, 1, 7, zero)),
    );
    assert.equal(charges.filter((c) => c.ok).length, 7);
    assert.equal(await a.runsCharged(other, DAY), 7);
  });

  await t.step("runs in progress are counted against their limit and released once", async () => {
    const s1 = await a.acquireSlot(tenant, 2);
    const s2 = await b.acquireSlot(tenant, 2);
    assert.deepEqual([s1.ok, s1.running, s2.ok, s2.running], [true, 0, true, 1]);
    const refused = await a.acquireSlot(tenant, 2);
    assert.deepEqual([refused.ok, refused.running], [false, 2]);
    const unlimited = await b.acquireSlot(tenant, null);
    assert.ok(unlimited.ok);
    assert.equal(await a.running(tenant), 3);
    await s1.release();
    await s1.release();
    await unlimited.release();
    assert.equal(await b.running(tenant), 1);
    await s2.release();
    assert.equal(await a.running(tenant), 0);
  });

  await t.step("concurrent slots never pass the limit", async () => {
    const slots = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquireSlot(`${tenant}-s`, 3)),
    );
    assert.equal(slots.filter((s) => s.ok).length, 3);
    await Promise.all(slots.map((s) => s.release()));
    assert.equal(await a.running(`${tenant}-s`), 0);
  });
  assert.ok(seeds >= 2);
}

Deno.test("in-process quota counters keep the counters contract", async (t) => {
  const counters = new LocalQuotaCounters();
  await contract(t, counters, counters);
});

Deno.test("Redis quota counters keep the counters contract, across replicas", async (t) => {
  const redis = await startRedis();
  const a = new RedisQuotaCounters(redis.url, 60_000);
  const b = new RedisQuotaCounters(redis.url, 60_000);
  try {
    await contract(t, a, b);
    await t.step("a slot a dead replica left behind expires", async () => {
      let now = Date.now();
      const dying = new RedisQuotaCounters(redis.url, 1000, () => now);
      const later = new RedisQuotaCounters(redis.url, 1000, () => now);
      assert.ok((await dying.acquireSlot("left", 1)).ok);
      assert.equal((await later.acquireSlot("left", 1)).ok, false);
      now += 1001;
      assert.ok((await later.acquireSlot("left", 1)).ok);
      await dying.close();
      await later.close();
    });
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
