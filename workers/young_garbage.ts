/**
 * A worker's start-up leaves V8's young generation nearly full, so the
 * first run after it is ready (a new key's, on the path its caller waits
 * on) used to pay for the first young-generation collection, about 1 ms.
 * This fills the young generation with short-lived garbage until V8 has
 * collected it once, while the worker is still a spare.
 */
import v8 from "node:v8";

// Small enough to be allocated in the young generation's own pages: a
// large object gets fresh pages of its own, and their page faults made
// filling it with 512 KiB chunks cost about 6 ms, against 1.5 ms in these.
const CHUNK_ELEMENTS = 1024;
// The heap is read every this many chunks (128 KiB): a read costs more
// than an allocation.
const CHUNKS_PER_CHECK = 16;
// 8 MiB of chunks at most: more than a default young generation holds.
const MAX_CHUNKS = (8 * 1024 * 1024) / (CHUNK_ELEMENTS * 8);

/**
 * Allocates garbage until the heap in use shrinks (a collection ran);
 * whether one did within the cap.
 */
export function collectYoungGarbage(): boolean {
  let before = v8.getHeapStatistics().used_heap_size;
  for (let i = 1; i <= MAX_CHUNKS; i++) {
    const chunk: unknown[] = new Array(CHUNK_ELEMENTS);
    // Read back, so the allocation is used and cannot be left out.
    if (chunk.length !== CHUNK_ELEMENTS) return false;
    if (i % CHUNKS_PER_CHECK !== 0) continue;
    const now = v8.getHeapStatistics().used_heap_size;
    if (now < before) return true;
    before = now;
  }
  return false;
}
