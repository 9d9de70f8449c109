import assert from "node:assert/strict";
import { cpuSeconds, rssBytes, startTimeSeconds } from "./process_stats.ts";
import { methodLabel, runDurationBuckets } from "./metrics.ts";

Deno.test("process stats are this process's real CPU, memory and start", async (t) => {
  await t.step("cpu time grows with work", () => {
    const before = cpuSeconds();
    let h = 0;
    for (let i = 0; i < 5e7; i++) h = (h * 31 + i) | 0;
    assert.ok(cpuSeconds() > before, String(h));
  });
  await t.step("resident memory grows with what is held", () => {
    const before = rssBytes();
    const held = new Uint8Array(64 * 2 ** 20).fill(1);
    assert.ok(rssBytes() > before + 32 * 2 ** 20);
    assert.equal(held[0], 1);
  });
  await t.step("start time is in the recent past", () => {
    const started = startTimeSeconds();
    assert.ok(started <= Date.now() / 1000 + 1 && started > Date.now() / 1000 - 3600);
  });
});

Deno.test("run-duration buckets reach the longest allowed run", async (t) => {
  await t.step("up to 300 s by default, 8 s for an 8 s cap, the cap for a long one", () => {
    assert.equal(runDurationBuckets(300).at(-1), 300);
    assert.ok(runDurationBuckets(300).includes(30));
    assert.deepEqual(runDurationBuckets(8).slice(-2), [5, 8]);
    assert.deepEqual(runDurationBuckets(3000).slice(-2), [1800, 3000]);
  });
  await t.step("unknown methods are one label", () => {
    assert.equal(methodLabel("POST"), "POST");
    assert.equal(methodLabel("FOO"), "other");
  });
});
