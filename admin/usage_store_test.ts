/**
 * The two usage stores keep one contract: rows added in batches sum up (the
 * peak is the largest), hours are selected by tenant and range, and a
 * day's totals cover its hours only. Redis runs as a real `redis-server`,
 * written to by two stores at once as two replicas would.
 */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { SqliteUsageStore } from "./sqlite_usage_store.ts";
import { RedisUsageStore } from "./redis_usage_store.ts";
import { DAY_MS, HOUR_MS, type UsageRow, type UsageStore, zeroCounters } from "./usage_types.ts";

const DAY = Date.UTC(2026, 0, 10);

function row(tenant: string, keyId: string, hour: number, n: number, peak = 100): UsageRow {
  return {
    ...zeroCounters(),
    tenant,
    keyId,
    hour,
    invocations: n,
    errors: 1,
    cpuMs: 1.5 * n,
    wallMs: 2.25 * n,
    peakMemoryBytes: peak,
  };
}

const sorted = (rows: UsageRow[]) =>
  [...rows].sort((a, b) => a.hour - b.hour || (a.keyId < b.keyId ? -1 : 1));

async function contract(t: Deno.TestContext, a: UsageStore, b: UsageStore) {
  // Tenants unique to this run, so a shared Redis database holds no strays.
  const tag = crypto.randomUUID().slice(0, 8);
  const t1 = `${tag} one:1`;
  const t2 = `${tag}/two`;

  await t.step("batches add up, from every writer; the peak is the largest", async () => {
    await a.addUsage([row(t1, "k1", DAY, 2, 500), row(t1, "", DAY, 1)]);
    await b.addUsage([row(t1, "k1", DAY, 3, 300), row(t2, "k1", DAY + HOUR_MS, 4)]);
    const rows = sorted(await a.usage({ tenant: t1 }));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1], { ...row(t1, "k1", DAY, 5, 500), errors: 2 });
    assert.equal(rows[0].keyId, "");
    assert.equal(rows[0].invocations, 1);
    assert.deepEqual(await b.usage({ tenant: t1 }).then(sorted), rows);
  });

  await t.step("hours are selected by range: from rounds down to its hour", async () => {
    await a.addUsage([row(t1, "k1", DAY + 3 * HOUR_MS, 1), row(t1, "k1", DAY + DAY_MS, 7)]);
    const hours = async (from?: number, to?: number) =>
      (await a.usage({ tenant: t1, from, to })).map((r) => r.hour - DAY).sort((x, y) => x - y);
    assert.deepEqual(await hours(DAY + 2 * HOUR_MS + 5, DAY + 3 * HOUR_MS), [3 * HOUR_MS]);
    assert.deepEqual(await hours(undefined, DAY + 1), [0, 0]);
    assert.deepEqual(await hours(DAY + DAY_MS), [DAY_MS]);
    assert.deepEqual(await hours(DAY + 2 * DAY_MS), []);
  });

  await t.step("every tenant is listed without a tenant filter", async () => {
    const tenants = new Set(
      (await a.usage({ from: DAY, to: DAY + 2 * DAY_MS })).map((r) => r.tenant),
    );
    assert.ok(tenants.has(t1) && tenants.has(t2));
    assert.deepEqual(await a.usage({ tenant: `${tag}-nobody` }), []);
  });

  await t.step("kept rows are counted, and hours before a time are deleted", async () => {
    const old = DAY - 40 * DAY_MS;
    await a.addUsage([row(t1, "k1", old, 1), row(t1, "k2", old, 1)]);
    const stats = await b.keptStats();
    assert.ok(stats.count >= 5, String(stats.count));
    assert.ok(stats.oldest !== undefined && stats.oldest <= old);
    assert.ok(stats.bytes > 0);
    assert.equal(await b.deleteBefore(old + HOUR_MS), 2);
    assert.deepEqual(await a.usage({ tenant: t1, from: old, to: old + HOUR_MS }), []);
    assert.equal(await a.deleteBefore(old + HOUR_MS), 0);
    // Later hours stay.
    assert.ok((await a.usage({ tenant: t1, from: DAY })).length > 0);
  });

  await t.step("a day's totals cover its hours, every key together", async () => {
    const day = await b.dayTotals(t1, DAY);
    assert.equal(day.invocations, 1 + 5 + 1);
    assert.equal(day.errors, 4);
    assert.equal(day.cpuMs, 1.5 * 7);
    assert.equal(day.wallMs, 2.25 * 7);
    assert.equal(day.peakMemoryBytes, 500);
    assert.equal((await a.dayTotals(t1, DAY + DAY_MS)).invocations, 7);
    assert.deepEqual(await a.dayTotals(`${tag}-nobody`, DAY), zeroCounters());
  });
}

Deno.test("the SQLite usage store keeps the usage store contract", async (t) => {
  const dir = await Deno.makeTempDir();
  const a = new SqliteUsageStore(`${dir}/jobs.sqlite`);
  const b = new SqliteUsageStore(`${dir}/jobs.sqlite`);
  try {
    await contract(t, a, b);
  } finally {
    await a.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Redis usage store keeps the usage store contract", async (t) => {
  const redis = await startRedis();
  const a = new RedisUsageStore(redis.url);
  const b = new RedisUsageStore(redis.url);
  try {
    await contract(t, a, b);
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
