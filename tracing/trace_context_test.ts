import assert from "node:assert/strict";
import { formatTraceparent, parseTraceparent, randomHex } from "./trace_context.ts";

Deno.test("traceparent headers are parsed strictly", async (t) => {
  const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  await t.step("a valid header round-trips", () => {
    const p = parseTraceparent(valid)!;
    assert.deepEqual(p, {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      flags: "01",
    });
    assert.equal(formatTraceparent(p), valid);
  });
  await t.step("invalid headers start a new trace", () => {
    for (
      const bad of [
        undefined,
        "",
        "garbage",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      ]
    ) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });
  await t.step("a later version may carry more fields", () => {
    assert.ok(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz"));
  });
  await t.step("random ids have the right length", () => {
    assert.match(randomHex(16), /^[0-9a-f]{32}$/);
    assert.match(randomHex(8), /^[0-9a-f]{16}$/);
  });
  await t.step("random ids differ and use every hex digit in both places", () => {
    const ids = Array.from({ length: 2000 }, () => randomHex(8));
    assert.equal(new Set(ids).size, ids.length);
    for (const place of [0, 1]) {
      const digits = new Set(ids.flatMap((id) => [...id].filter((_, i) => i % 2 === place)));
      assert.equal(digits.size, 16);
    }
  });
});
