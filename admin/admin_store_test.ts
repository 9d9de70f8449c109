/**
 * The two admin stores keep one contract for the settings changed while
 * running (kept as set, any JSON value, replaced, and read back by a store
 * opened later on the same file or Redis) and for what the audit log holds
 * (count, oldest, bytes, before and after a deletion by age). Redis runs as
 * a real `redis-server`. Setting values shown by the admin API never carry
 * a URL's password.
 */
import assert from "node:assert/strict";
import { startRedis } from "../tests/helpers/redis.ts";
import { openAdminStore } from "./open_admin_store.ts";
import { maskUrl } from "./settings_catalog.ts";
import type { AuditEntry } from "./types.ts";

const entry = (at: number): AuditEntry => ({
  id: crypto.randomUUID(),
  at,
  actor: "k1",
  role: "admin",
  action: "settings.update",
  target: "retention.auto",
  outcome: "ok",
  after: { value: true },
  requestId: "r1",
});

async function contract(location: string) {
  const store = openAdminStore(location);
  try {
    assert.deepEqual(await store.auditStats(), { count: 0, bytes: 0 });
    await store.appendAudit([entry(100), entry(200), entry(300)]);
    const stats = await store.auditStats();
    assert.deepEqual([stats.count, stats.oldest], [3, 100]);
    assert.ok(stats.bytes > 3 * 40, JSON.stringify(stats));
    assert.equal(await store.deleteAuditBefore(250), 2);
    assert.deepEqual((await store.auditStats()).oldest, 300);
    assert.deepEqual(await store.runtimeSettings(), {});
    await store.setRuntimeSetting("retention.auto", false, 1);
    await store.setRuntimeSetting("retention.audit_days", 7, 2);
    await store.setRuntimeSetting("retention.audit_days", 0.5, 3);
  } finally {
    await store.close();
  }
  const again = openAdminStore(location);
  try {
    assert.deepEqual(await again.runtimeSettings(), {
      "retention.auto": false,
      "retention.audit_days": 0.5,
    });
  } finally {
    await again.close();
  }
}

Deno.test("the SQLite admin store keeps runtime settings and measures its audit log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "faas-admin-" });
  try {
    await contract(`${dir}/jobs.sqlite`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the Redis admin store keeps runtime settings and measures its audit log", async () => {
  const redis = await startRedis();
  try {
    await contract(redis.url);
  } finally {
    await redis.stop();
  }
});

Deno.test("a URL shown as a setting has its password masked", () => {
  assert.equal(maskUrl("redis://:pw@db:6379/0"), "redis://:***@db:6379/0");
  assert.equal(maskUrl("rediss://user:p%40ss@db/1"), "rediss://user:***@db/1");
  assert.equal(maskUrl("redis://token@db"), "redis://***@db");
  assert.equal(maskUrl("redis://db:6379/0"), "redis://db:6379/0");
  assert.equal(maskUrl("data/jobs.sqlite"), "data/jobs.sqlite");
  assert.equal(maskUrl(undefined), null);
});
