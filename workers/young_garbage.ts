/**
 * A worker's start-up leaves V8's young generation nearly full, so the
 * first run after it is ready (a new key's, on the path its caller waits
 * on) used to pay for the first young-generation collection, about 1 ms.
 * This fills the young generation with short-lived garbage until V8 has
 * collected it once, while the worker is still a spare.
 */
import v8 from "node:v8";

// Large enough to go straight to the young large-object space, so that a
// few allocations, not thousands, fill the young generation.
const CHUNK_ELEMENTS = 64 * 1024;
// 8 MiB of chunks at most: more than a default young generation holds.
const MAX_CHUNKS = 16;

/**
 * Allocates garbage until the heap in use shrinks (a collection ran);
 * whether one did within the cap.
 */
export function collectYoungGarbage(): boolean {
  let before = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const chunk: unknown[] = new Array(CHUNK_ELEMENTS);
    // Read back, so the allocation is used and cannot be left out.
    if (chunk.length !== CHUNK_ELEMENTS) return false;
    const now = v8.getHeapStatistics().used_heap_size;
    if (now < before) return true;
    before = now;
  }
  return false;
}
