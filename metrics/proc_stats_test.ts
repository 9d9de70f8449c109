import assert from "node:assert/strict";
import { cpuSeconds, fileDescriptors, memoryBytes, startTimeSeconds } from "./proc_stats.ts";

Deno.test("proc stats read this process's real CPU, memory and descriptors", async (t) => {
  await t.step("cpu time grows with work", () => {
    const before = cpuSeconds("self")!;
    const end = performance.now() + 150;
    while (performance.now() < end) Math.sqrt(Math.random());
    assert.ok(cpuSeconds("self")! > before);
  });
  await t.step("memory matches Deno's own account of RSS", () => {
    const m = memoryBytes("self")!;
    const rss = Deno.memoryUsage().rss;
    assert.ok(Math.abs(m.rss - rss) < rss * 0.2, `${m.rss} vs ${rss}`);
    assert.ok(m.vsize >= m.rss);
  });
  await t.step("descriptors count a newly opened file", () => {
    const before = fileDescriptors()!.open;
    const file = Deno.openSync("/proc/self/stat");
    assert.equal(fileDescriptors()!.open, before + 1);
    file.close();
    assert.ok(fileDescriptors()!.max! > 0);
  });
  await t.step("start time is in the recent past", () => {
    const started = startTimeSeconds()!;
    assert.ok(started <= Date.now() / 1000 + 1 && started > Date.now() / 1000 - 3600);
  });
  await t.step("a process that is gone reads as undefined", () => {
    assert.equal(cpuSeconds(2 ** 22 + 7), undefined);
    assert.equal(memoryBytes(2 ** 22 + 7), undefined);
  });
});

Deno.test("run-duration buckets reach the longest allowed run", async (t) => {
  const { runDurationBuckets, methodLabel } = await import("./metrics.ts");
  await t.step("up to 300 s by default, 8 s for an 8 s cap, 1 h for a long cap", () => {
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
