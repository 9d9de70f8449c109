import assert from "node:assert/strict";
import { FAILING_AFTER, StartBackoff } from "./start_backoff.ts";

Deno.test("start backoff doubles the wait after each failure in a row", async (t) => {
  await t.step("no wait before any failure", () => {
    assert.ok(new StartBackoff().wait(0) <= 0);
  });
  await t.step("100 ms, then twice as long each time, up to 30 s", () => {
    const b = new StartBackoff();
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      b.failed(`failure ${i}`, 1000);
      waits.push(b.wait(1000));
    }
    assert.deepEqual(waits.slice(0, 4), [100, 200, 400, 800]);
    assert.equal(waits[11], 30_000);
    assert.equal(b.lastError, "failure 11");
  });
  await t.step("counts as failing after three in a row, and starts again on success", () => {
    const b = new StartBackoff();
    for (let i = 1; i < FAILING_AFTER; i++) b.failed("x");
    assert.equal(b.failing, false);
    b.failed("x");
    assert.equal(b.failing, true);
    b.succeeded();
    assert.equal(b.failing, false);
    assert.equal(b.failures, 0);
  });
});
