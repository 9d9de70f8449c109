import assert from "node:assert/strict";
import { HOST_V8_FLAGS, hostV8Flags } from "./host_command.ts";

Deno.test("host V8 flags", async (t) => {
  await t.step("every host is hardened and capped at its memory limit", () => {
    for (const runtime of ["python", "javascript"] as const) {
      const flags = hostV8Flags(runtime, 300);
      assert.deepEqual(flags[0], "--max-old-space-size=300");
      for (const flag of HOST_V8_FLAGS) assert.ok(flags.includes(flag), `${runtime} lacks ${flag}`);
    }
  });
  await t.step(
    "python hosts run Pyodide without wasm deopts and with a small young generation",
    () => {
      const flags = hostV8Flags("python", 512);
      assert.ok(flags.includes("--no-wasm-deopt"));
      assert.ok(flags.includes("--max-semi-space-size=1"));
    },
  );
  await t.step("javascript hosts keep V8's defaults", () => {
    const flags = hostV8Flags("javascript", 512);
    assert.deepEqual(flags, ["--max-old-space-size=512", ...HOST_V8_FLAGS]);
  });
});
