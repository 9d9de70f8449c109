import assert from "node:assert/strict";
import { runMessage } from "./run_message.ts";
import type { RunRequest } from "./types.ts";

const base: RunRequest = {
  language: "python",
  code: "print(1)",
  input: "{}",
  stdin: "",
  timeoutMs: 5000,
  priority: "normal",
  key: "code:t:abc",
};

Deno.test("run message carries what the worker needs", async (t) => {
  await t.step("absent and empty options are left out", () => {
    const msg = runMessage(3, 7, { ...base, args: [], files: [], returnFiles: [] }, 1000);
    assert.deepEqual(msg, {
      t: "run",
      wid: 3,
      id: 7,
      language: "python",
      code: "print(1)",
      input: "{}",
      stdin: "",
      timeoutMs: 5000,
      maxOutputBytes: 1000,
    });
  });
  await t.step("given options are sent, a streaming run says so, the key is not", () => {
    const msg = runMessage(1, 2, {
      ...base,
      args: ["a"],
      entry: "main.py",
      returnFiles: ["*.txt"],
      persist: true,
      onOutput: () => {},
    }, 10);
    assert.deepEqual(msg.args, ["a"]);
    assert.equal(msg.entry, "main.py");
    assert.deepEqual(msg.returnFiles, ["*.txt"]);
    assert.equal(msg.stream, true);
    assert.equal(msg.persist, true);
    assert.equal("key" in msg, false);
    assert.equal("onOutput" in msg, false);
  });
});
