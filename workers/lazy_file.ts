/**
 * A file of Pyodide's in-memory filesystem whose bytes are read from disk
 * the first time anything reads them. The standard library's zip (2.5 MB)
 * is one: a worker restored from the snapshot has every preloaded module
 * imported already, so most instances never open it, and reading it at
 * start cost every instance its bytes in memory and ~600 page faults.
 *
 * The bytes are the worker's own (read into its own buffer, never shared),
 * so a run that writes to the file changes only its own instance, and the
 * filesystem journal undoes that like any other change.
 */

// Taken when this module loads: the realm lockdown removes `Deno` later.
const readFileSync = Deno.readFileSync;
const statSync = Deno.statSync;

/** The part of an Emscripten MEMFS file node this module sets. */
export interface MemFsFileNode {
  contents: Uint8Array | null;
  usedBytes: number;
}

/**
 * Makes `node` (an empty MEMFS file) stand for the file at `source` on
 * disk: its size at once, its bytes on first read. Throws when `source`
 * cannot be read (at start-up, not at a run's first import).
 */
export function makeLazyFile(node: MemFsFileNode, source: string): void {
  const size = statSync(source).size;
  const settle = (value: Uint8Array | null) => {
    Object.defineProperty(node, "contents", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
    return value;
  };
  Object.defineProperty(node, "contents", {
    get: () => {
      const bytes = readFileSync(source);
      // MEMFS reads usedBytes as the size: a file changed on disk meanwhile
      // is taken at its new size rather than cut or padded.
      node.usedBytes = bytes.length;
      return settle(bytes);
    },
    // MEMFS replaces the contents when the file is truncated or rewritten.
    set: settle,
    enumerable: true,
    configurable: true,
  });
  node.usedBytes = size;
}
