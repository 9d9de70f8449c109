import assert from "node:assert/strict";
import v8 from "node:v8";
import { collectYoungGarbage } from "./young_garbage.ts";

Deno.test("young garbage is collected before a worker is ready", async (t) => {
  await t.step("a collection runs within the cap", () => {
    assert.equal(collectYoungGarbage(), true);
  });
  await t.step("it runs again after the young generation filled up once more", () => {
    const keep: number[][] = [];
    for (let i = 0; i < 2000; i++) keep.push([i]);
    assert.equal(collectYoungGarbage(), true);
    assert.ok(keep.length === 2000);
  });
  await t.step("the heap in use afterwards holds no chunk", () => {
    collectYoungGarbage();
    const after = v8.getHeapStatistics().used_heap_size;
    // The chunks of a fill are garbage once it returns: the heap in use
    // grows by no more than this process's own allocations.
    assert.ok(collectYoungGarbage());
    assert.ok(v8.getHeapStatistics().used_heap_size < after + 2 * 1024 * 1024);
  });
});
