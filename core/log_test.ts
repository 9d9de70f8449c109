import assert from "node:assert/strict";
import { Logger } from "./log.ts";

function capture(level: "debug" | "info" | "warn" | "error", format: "json" | "text") {
  const lines: string[] = [];
  return { lines, log: new Logger(level, format, (line) => lines.push(line)) };
}

Deno.test("logger", async (t) => {
  await t.step("writes JSON lines with level, message and fields", () => {
    const { lines, log } = capture("info", "json");
    log.info("run finished", { task_id: "t1", duration_ms: 1.5, ok: true });
    const entry = JSON.parse(lines[0]);
    assert.equal(entry.level, "info");
    assert.equal(entry.msg, "run finished");
    assert.equal(entry.task_id, "t1");
    assert.equal(entry.duration_ms, 1.5);
    assert.ok(!Number.isNaN(Date.parse(entry.ts)));
  });

  await t.step("drops lines below its level", () => {
    const { lines, log } = capture("warn", "json");
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    assert.deepEqual(lines.map((l) => JSON.parse(l).msg), ["c", "d"]);
    assert.equal(log.enabled("info"), false);
  });

  await t.step("writes readable text with quoted values where needed", () => {
    const { lines, log } = capture("debug", "text");
    log.info("run finished", { status: "success", error: "two words", skipped: undefined });
    assert.match(lines[0], /^\S+ INFO {2}run finished status=success error="two words"$/);
  });
});
