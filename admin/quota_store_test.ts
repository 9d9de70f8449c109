/** The two quota stores keep one contract: put replaces, list is by tenant, delete returns the removed. */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { SqliteQuotaStore } from "./sqlite_quota_store.ts";
import { RedisQuotaStore } from "./redis_quota_store.ts";
import type { Quota, QuotaStore } from "./quota_types.ts";

async function contract(store: QuotaStore) {
  const a: Quota = {
    tenant: "b:1",
    invocationsPerDay: 10,
    cpuMsPerDay: null,
    maxConcurrent: 0,
    warnAt: 0.5,
    updatedAt: 1,
  };
  const b: Quota = { ...a, tenant: "a/2", invocationsPerDay: null, cpuMsPerDay: 5, warnAt: 1 };
  await store.putQuota(a);
  await store.putQuota(b);
  await store.putQuota({ ...a, invocationsPerDay: 11, updatedAt: 2 });
  assert.deepEqual(await store.listQuotas(), [b, { ...a, invocationsPerDay: 11, updatedAt: 2 }]);
  assert.deepEqual(await store.getQuota("a/2"), b);
  assert.equal(await store.getQuota("nobody"), undefined);
  assert.deepEqual(await store.deleteQuota("a/2"), b);
  assert.equal(await store.deleteQuota("a/2"), undefined);
  assert.equal((await store.listQuotas()).length, 1);
}

Deno.test("the SQLite quota store keeps the quota store contract", async () => {
  const store = new SqliteQuotaStore(":memory:");
  await contract(store);
  await store.close();
});

Deno.test("the Redis quota store keeps the quota store contract", async () => {
  const redis = await startRedis();
  const store = new RedisQuotaStore(redis.url);
  try {
    await contract(store);
  } finally {
    await store.close();
    await redis.stop();
  }
});
