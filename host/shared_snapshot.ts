/**
 * The host's one copy of the Python memory snapshot that workers restoring
 * with pyodide_fast_load.ts share, read-only, when Pyodide's files are the
 * build that module was written for.
 */
import { FAST_LOAD_PINS, nonZeroRanges, snapshotMemory } from "../workers/pyodide_fast_load.ts";

/** A snapshot shared by the workers of a host, and its non-zero pages. */
export interface SharedSnapshot {
  snapshot: Uint8Array;
  ranges: Uint32Array;
}

/**
 * The snapshot as one copy in shared memory, with its non-zero pages, when
 * Pyodide's glue in `dir` is the pinned build; undefined (after a line on
 * stderr) when it is not. `bytes` is detached when shared.
 */
export async function sharedSnapshot(
  dir: string,
  bytes: Uint8Array,
): Promise<SharedSnapshot | undefined> {
  for (const [file, pin] of Object.entries(FAST_LOAD_PINS)) {
    let hex = "";
    try {
      const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/${file}`));
      hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    } catch {
      // Reported below as a mismatch.
    }
    if (hex !== pin) {
      console.error(`Pyodide's ${file} is not the pinned build: restoring the stock way`);
      return undefined;
    }
  }
  const memory = snapshotMemory(bytes);
  if (!memory) return undefined;
  const ranges = nonZeroRanges(memory);
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  // Freed now: an idle host may never collect it.
  (bytes.buffer as ArrayBuffer).transfer(0);
  return { snapshot: shared, ranges };
}
