import assert from "node:assert/strict";
import { runLimit } from "./run_end_drop.ts";

Deno.test("run limits are spread up to 10 % below the configured one", async (t) => {
  await t.step("every limit lies within 90-100 % of it, and they differ", () => {
    const limits = Array.from({ length: 50 }, (_, i) => runLimit(`py-1/${i}`, 10_000));
    for (const limit of limits) assert.ok(limit >= 9_000 && limit <= 10_000, String(limit));
    assert.ok(new Set(limits).size > 10, "instances started together get different limits");
  });
  await t.step("the same instance always gets the same limit", () => {
    assert.equal(runLimit("js-3/7", 500), runLimit("js-3/7", 500));
  });
  await t.step("never below one run", () => {
    assert.equal(runLimit("py-1/1", 1), 1);
  });
});
