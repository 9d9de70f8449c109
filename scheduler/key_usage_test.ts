import assert from "node:assert/strict";
import { KeyUsage } from "./key_usage.ts";

Deno.test("key usage limits runs per minute and runs in progress per key", async (t) => {
  let now = 1_000_000;
  const usage = new KeyUsage({ maxConcurrent: 2, runsPerMinute: 5 }, () => now);

  await t.step("a charge fits whole or is refused whole", () => {
    assert.deepEqual(usage.charge("a", 3), { allowed: true, limit: 5, remaining: 2, resetS: 60 });
    assert.equal(usage.charge("a", 3).allowed, false);
    assert.equal(usage.charge("a", 2).remaining, 0);
    assert.equal(usage.charge("a", 1).allowed, false);
    assert.equal(usage.charge("b", 5).allowed, true);
  });

  await t.step("the window starts afresh after a minute", () => {
    now += 30_000;
    assert.equal(usage.charge("a", 1).resetS, 30);
    now += 30_000;
    assert.equal(usage.charge("a", 5).allowed, true);
  });

  await t.step("runs in progress stop at the limit and free up as runs end", () => {
    assert.ok(usage.start("a"));
    assert.deepEqual(usage.saturated(), []);
    assert.ok(usage.start("a"));
    assert.ok(!usage.start("a"));
    assert.ok(usage.start("b"));
    assert.deepEqual(usage.saturated(), ["a"]);
    usage.end("a");
    assert.deepEqual(usage.saturated(), []);
    assert.ok(usage.start("a"));
  });

  await t.step("no limits: everything fits", () => {
    const open = new KeyUsage({ maxConcurrent: 0, runsPerMinute: 0 });
    for (let i = 0; i < 100; i++) assert.ok(open.start("k") && open.charge("k", 100).allowed);
    assert.deepEqual(open.saturated(), []);
  });
});
