import assert from "node:assert/strict";
import { serverTiming } from "./server_timing.ts";

Deno.test("server timing names every phase in order", async (t) => {
  const header = serverTiming({
    parseMs: 0.1234,
    queueMs: 2,
    startMs: 10.5,
    runMs: 3.25,
    execMs: 1.0004,
    replyMs: 0.05,
  });
  await t.step("phases come in the order they happen, in ms", () => {
    const names = header.split(", ").map((m) => m.split(";")[0]);
    assert.deepEqual(names, ["parse", "queue", "start", "run", "exec", "reply"]);
    assert.match(header, /^parse;dur=0\.123;desc="read and validate", queue;dur=2;/);
    assert.match(header, /start;dur=10\.5;/);
    assert.match(header, /exec;dur=1;/);
  });
  await t.step("a negative figure (clock skew) is shown as 0", () => {
    const h = serverTiming({
      parseMs: -1,
      queueMs: 0,
      startMs: 0,
      runMs: 0,
      execMs: 0,
      replyMs: 0,
    });
    assert.match(h, /^parse;dur=0;/);
  });
});
