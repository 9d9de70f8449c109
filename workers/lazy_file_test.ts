import assert from "node:assert/strict";
import { makeLazyFile, type MemFsFileNode } from "./lazy_file.ts";

Deno.test("makeLazyFile reads the file only when its contents are first read", async (t) => {
  const dir = await Deno.makeTempDir();
  const source = `${dir}/data.bin`;
  await Deno.writeFile(source, new Uint8Array([1, 2, 3, 4, 5]));
  try {
    await t.step("the size is known at once, the bytes are not read", async () => {
      const node: MemFsFileNode = { contents: new Uint8Array(0), usedBytes: 0 };
      makeLazyFile(node, source);
      assert.equal(node.usedBytes, 5);
      // Changed on disk before the first read: the read sees the change,
      // which proves nothing was read at set-up.
      await Deno.writeFile(source, new Uint8Array([9, 8, 7, 6, 5, 4]));
      assert.deepEqual([...node.contents!], [9, 8, 7, 6, 5, 4]);
      assert.equal(node.usedBytes, 6);
      const desc = Object.getOwnPropertyDescriptor(node, "contents")!;
      assert.ok("value" in desc && desc.writable, "a plain property once read");
      await Deno.writeFile(source, new Uint8Array([0]));
      assert.equal(node.contents!.length, 6, "read once, not again");
    });
    await t.step("contents replaced before any read are never read from disk", async () => {
      await Deno.writeFile(source, new Uint8Array([1, 2, 3]));
      const node: MemFsFileNode = { contents: new Uint8Array(0), usedBytes: 0 };
      makeLazyFile(node, source);
      await Deno.remove(source);
      node.contents = new Uint8Array([42]);
      node.usedBytes = 1;
      assert.deepEqual([...node.contents], [42]);
    });
    await t.step("a missing file fails at set-up", () => {
      const node: MemFsFileNode = { contents: null, usedBytes: 0 };
      assert.throws(() => makeLazyFile(node, `${dir}/missing.zip`), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
