import assert from "node:assert/strict";
import { cutToBytes, OutputBuffer, utf8Length } from "./output_buffer.ts";

Deno.test("output buffer", async (t) => {
  await t.step("utf8Length matches TextEncoder for mixed text", () => {
    for (const text of ["", "abc", "héllo", "日本語", "😀 ok", "a\u{10FFFF}b"]) {
      assert.equal(utf8Length(text), new TextEncoder().encode(text).length, text);
    }
  });

  await t.step("keeps everything under the cap", () => {
    const buf = new OutputBuffer(10);
    buf.write("abc");
    buf.write("def");
    assert.equal(buf.text(), "abcdef");
    assert.equal(buf.truncated, false);
  });

  await t.step("cuts at the cap in bytes and never splits a character", () => {
    const buf = new OutputBuffer(7);
    buf.write("ab");
    buf.write("😀😀");
    assert.equal(buf.text(), "ab😀");
    assert.equal(buf.truncated, true);
    buf.write("more");
    assert.equal(buf.text(), "ab😀");
  });

  await t.step("decodes bytes split inside a character", () => {
    const bytes = new TextEncoder().encode("é!");
    const buf = new OutputBuffer(100);
    buf.writeBytes(bytes.slice(0, 1));
    buf.writeBytes(bytes.slice(1));
    assert.equal(buf.text(), "é!");
  });

  await t.step("cutToBytes returns the longest fitting prefix", () => {
    assert.equal(cutToBytes("héllo", 2), "h");
    assert.equal(cutToBytes("héllo", 3), "hé");
    assert.equal(cutToBytes("abc", 0), "");
  });
});
