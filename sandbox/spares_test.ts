import assert from "node:assert/strict";
import { sparesToStart } from "./spares.ts";

Deno.test("spares beyond the configured number start one at a time on idle hosts", async (t) => {
  const room = () => true;
  await t.step("the configured spares start at once, busy host or not", () => {
    assert.equal(sparesToStart({ spares: 0, starting: 0, idle: false }, 2, 2, room), 2);
    assert.equal(sparesToStart({ spares: 1, starting: 1, idle: false }, 2, 2, room), 1);
  });
  await t.step("one beyond them, and only when none is starting", () => {
    assert.equal(sparesToStart({ spares: 1, starting: 0, idle: true }, 4, 1, room), 1);
    assert.equal(sparesToStart({ spares: 1, starting: 1, idle: true }, 4, 1, room), 0);
    // The configured one starts; the next waits for it to be ready.
    assert.equal(sparesToStart({ spares: 0, starting: 0, idle: true }, 4, 1, room), 1);
  });
  await t.step("none beyond them on a busy host or without memory to spare", () => {
    assert.equal(sparesToStart({ spares: 1, starting: 0, idle: false }, 4, 1, room), 0);
    assert.equal(sparesToStart({ spares: 1, starting: 0, idle: true }, 4, 1, () => false), 0);
  });
  await t.step("none once the target is reached", () => {
    assert.equal(sparesToStart({ spares: 3, starting: 0, idle: true }, 3, 1, room), 0);
  });
});
