import assert from "node:assert/strict";
import { nonZeroRanges, snapshotMemory, sparseRestore } from "./pyodide_fast_load.ts";

const PAGE = 4096;

Deno.test("nonZeroRanges finds the non-zero pages, merged into runs", () => {
  const memory = new Uint8Array(10 * PAGE + 100);
  memory[0] = 1;
  memory[PAGE + 5] = 2;
  memory[4 * PAGE + PAGE - 1] = 3;
  memory[10 * PAGE + 99] = 4;
  assert.deepEqual(
    Array.from(nonZeroRanges(memory)),
    [0, 2 * PAGE, 4 * PAGE, 5 * PAGE, 10 * PAGE, 10 * PAGE + 100],
  );
  assert.deepEqual(Array.from(nonZeroRanges(new Uint8Array(3 * PAGE))), []);
});

Deno.test("sparseRestore leaves the C stack and zero pages above the heap alone", () => {
  const pages = 16;
  const memory = new Uint8Array(pages * PAGE);
  for (let i = 0; i < memory.length; i += 7) memory[i] = (i % 251) + 1;
  // Zero pages above the heap end, which must not be written.
  memory.fill(0, 10 * PAGE, 12 * PAGE);
  const layout = { stackEnd: 2 * PAGE, stackBase: 5 * PAGE, heapEnd: 6 * PAGE + 10 };
  const heap = new Uint8Array(pages * PAGE + PAGE);
  // What instantiation wrote: data below the stack, a frame at its top.
  heap.fill(9, 0, PAGE);
  heap.fill(9, 5 * PAGE - 16, 5 * PAGE);
  const writes: [number, number][] = [];
  const recording = new Proxy(heap, {
    get(target, prop) {
      if (prop === "set") {
        return (src: Uint8Array, offset = 0) => {
          writes.push([offset, offset + src.length]);
          target.set(src, offset);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  sparseRestore(recording, memory, nonZeroRanges(memory), layout);
  // Below the stack and from its base to the heap's end: everything.
  assert.deepEqual(heap.subarray(0, 2 * PAGE), memory.subarray(0, 2 * PAGE));
  assert.deepEqual(heap.subarray(5 * PAGE, 7 * PAGE), memory.subarray(5 * PAGE, 7 * PAGE));
  // Above it: the snapshot's content.
  assert.deepEqual(heap.subarray(7 * PAGE, pages * PAGE), memory.subarray(7 * PAGE));
  // Nothing written inside the stack or to the zero pages above the heap.
  for (const [start, end] of writes) {
    assert.ok(end <= 2 * PAGE || start >= 5 * PAGE, `stack written: ${start}-${end}`);
    assert.ok(end <= 10 * PAGE || start >= 12 * PAGE, `zero pages written: ${start}-${end}`);
  }
});

Deno.test("sparseRestore refuses a layout it does not understand", () => {
  const memory = new Uint8Array(4 * PAGE);
  const heap = new Uint8Array(4 * PAGE);
  assert.throws(() =>
    sparseRestore(heap, memory, new Uint32Array(0), {
      stackEnd: 3 * PAGE,
      stackBase: 2 * PAGE,
      heapEnd: 3 * PAGE,
    })
  );
});

Deno.test("snapshotMemory rejects what is not a snapshot of this build", () => {
  assert.equal(snapshotMemory(new Uint8Array(1024)), undefined);
});
