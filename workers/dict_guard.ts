/**
 * Tells which module dicts (and `sys.modules`, `os.environ`'s store) a run
 * changed, so the reset restores only those instead of all ~210 module
 * dicts (~10 000 entries, 0.18 ms per run).
 *
 * CPython 3.14 no longer versions dicts, but it has dict watchers: a C
 * callback called before each change of a watched dict. Pyodide exports
 * the C API, and a JS function becomes a C function pointer through
 * Emscripten's `addFunction`. The callback only records the dict's address.
 *
 * User code can reach Pyodide's module (`import pyodide_js`) and so unwatch
 * a dict or clear the watcher. Before every reset the guard checks both: a
 * canary dict must still report a change, and every dict must still carry
 * its watched bit. If either fails, `changed()` returns undefined and the
 * reset restores every dict, as it did without the guard.
 */
import type { PyodideAPI } from "pyodide";

interface EmscriptenModule {
  HEAPU32: Uint32Array;
  addFunction(fn: (...args: number[]) => number, signature: string): number;
  _PyDict_AddWatcher(callback: number): number;
  _PyDict_Watch(watcherId: number, dict: number): number;
}

/** Byte offset of `_ma_watcher_tag` in a dict on wasm32; checked at start. */
const WATCHER_TAG_OFFSET = 16;

/** Records the changes of a fixed set of dicts between two resets. */
export class DictGuard {
  #module: EmscriptenModule;
  #watcher: number;
  #dicts: number[];
  #canary: number;
  #touchCanary: () => void;
  #dirty = new Set<number>();

  /**
   * Watches `dicts` (addresses, i.e. CPython ids) and `canary`, a dict only
   * `touchCanary` changes. Throws if the watcher cannot be set up or the
   * dict layout is not the expected one (another Pyodide build).
   */
  constructor(pyodide: PyodideAPI, dicts: number[], canary: number, touchCanary: () => void) {
    this.#module = (pyodide as unknown as { _module: EmscriptenModule })._module;
    this.#dicts = dicts;
    this.#canary = canary;
    this.#touchCanary = touchCanary;
    const callback = this.#module.addFunction((_event, dict) => {
      this.#dirty.add(dict >>> 0);
      return 0;
    }, "iiiii");
    this.#watcher = this.#module._PyDict_AddWatcher(callback);
    if (this.#watcher < 0 || this.#watcher > 7) throw new Error("No dict watcher available");
    for (const dict of [...dicts, canary]) this.#watch(dict);
    this.#dirty.clear();
    if (!this.#canaryReports()) throw new Error("Dict watcher does not report changes");
  }

  #watch(dict: number): void {
    if (this.#module._PyDict_Watch(this.#watcher, dict) !== 0 || !this.#watched(dict)) {
      throw new Error(`Cannot watch dict at ${dict}`);
    }
  }

  #watched(dict: number): boolean {
    return ((this.#module.HEAPU32[(dict + WATCHER_TAG_OFFSET) >>> 2] >>> this.#watcher) & 1) === 1;
  }

  #canaryReports(): boolean {
    this.#dirty.delete(this.#canary);
    this.#touchCanary();
    return this.#dirty.delete(this.#canary);
  }

  /**
   * Addresses of the dicts changed since the last `clear()`, or undefined
   * when the watching was tampered with and every dict must be restored.
   */
  changed(): number[] | undefined {
    if (!this.#canaryReports()) return undefined;
    const heap = this.#module.HEAPU32;
    const bit = this.#watcher;
    const dicts = this.#dicts;
    for (let i = 0; i < dicts.length; i++) {
      if (((heap[(dicts[i] + WATCHER_TAG_OFFSET) >>> 2] >>> bit) & 1) !== 1) return undefined;
    }
    return [...this.#dirty];
  }

  /** Forgets recorded changes (after the reset restored them). */
  clear(): void {
    this.#dirty.clear();
  }
}
