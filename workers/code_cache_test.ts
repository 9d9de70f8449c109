import assert from "node:assert/strict";
import { CodeCache } from "./code_cache.ts";

Deno.test("code cache keeps recent sources and drops the least recently used", async (t) => {
  const dropped: number[] = [];
  const cache = new CodeCache<number>(2, 10, (v) => dropped.push(v));

  await t.step("a kept value is returned", () => {
    assert.equal(cache.set("a", 1), true);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("b"), undefined);
  });

  await t.step("the least recently used value goes first", () => {
    cache.set("b", 2);
    cache.get("a");
    cache.set("c", 3);
    assert.deepEqual(dropped, [2]);
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("c"), 3);
    assert.equal(cache.size, 2);
  });

  await t.step("a long source is not kept", () => {
    assert.equal(cache.set("x".repeat(11), 4), false);
    assert.equal(cache.get("x".repeat(11)), undefined);
    assert.equal(cache.size, 2);
  });
});
