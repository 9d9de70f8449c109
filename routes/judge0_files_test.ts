import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { packAdditionalFiles, unpackAdditionalFiles } from "./judge0_files.ts";

const text = (s: string) => new TextEncoder().encode(s);
const zip64 = (entries: Record<string, Uint8Array>) => zipSync(entries).toBase64();

Deno.test("additional_files: a base64 zip unpacked into run files", async (t) => {
  await t.step("files come out in base64, folders skipped, paths kept", () => {
    const value = zip64({
      "util.py": text("X = 1\n"),
      "lib/": new Uint8Array(),
      "lib/d.bin": new Uint8Array([0, 255]),
    });
    const out = unpackAdditionalFiles(value, 1024);
    assert.ok("files" in out);
    const byName = Object.fromEntries(out.files.map((f) => [f.name, f]));
    assert.deepEqual(Object.keys(byName).sort(), ["lib/d.bin", "util.py"]);
    assert.equal(atob(byName["util.py"].content), "X = 1\n");
    assert.equal(byName["lib/d.bin"].content, "AP8=");
    assert.equal(byName["util.py"].encoding, "base64");
  });
  await t.step("base64 wrapped over lines is read", () => {
    const value = zip64({ "a.txt": text("a".repeat(100)) }).replace(/(.{60})/g, "$1\n");
    assert.ok("files" in unpackAdditionalFiles(value, 1024));
  });
  await t.step("not base64, not a zip, bad names and too much are problems", () => {
    const problem = (value: string, max = 1024) => {
      const out = unpackAdditionalFiles(value, max);
      return "problem" in out ? out.problem : "";
    };
    assert.match(problem("%%%"), /base64 of a zip/);
    assert.match(problem(btoa("not a zip at all")), /base64 of a zip archive: /);
    assert.match(problem(zip64({ "../x.py": text("1") })), /"\.\.\/x\.py".*\.\. segments/);
    assert.match(problem(zip64({ "big.txt": text("x".repeat(2000)) })), /at most 1024 bytes/);
  });
  await t.step("packing gives back the same files", () => {
    const value = packAdditionalFiles([
      { name: "a.py", content: "print(1)\n", encoding: "utf-8" },
      { name: "b/c.bin", content: "AP8=", encoding: "base64" },
    ]);
    const out = unpackAdditionalFiles(value!, 1024);
    assert.ok("files" in out);
    assert.deepEqual(out.files.map((f) => [f.name, f.content]).sort(), [
      ["a.py", btoa("print(1)\n")],
      ["b/c.bin", "AP8="],
    ]);
    assert.equal(packAdditionalFiles(undefined), null);
  });
});
