/**
 * Detects which Python classes a run modified, in microseconds.
 *
 * Classes (about 800 after the preload) are too many to compare attribute
 * by attribute on every run (~0.8 ms). CPython gives every type a version tag that it
 * resets whenever the type's attributes change (and a fresh one on the next
 * lookup), so comparing each class's tag to the one saved at start finds
 * the modified classes; only those are compared and restored, in Python.
 *
 * The tag's offset inside the type object is not part of any public API:
 * it is found at start by modifying a probe class and watching which word
 * of its memory changes, and the start-up fails loudly if that does not
 * single out one word (a different Pyodide build).
 */
import type { PyodideAPI } from "pyodide";

interface EmscriptenHeap {
  HEAPU32: Uint32Array;
}

const PROBE = `
class _FaasProbe:
    x = 1
_FaasProbe.x; _FaasProbe().x
`;

/** Tracks the version tags of a fixed list of classes. */
export class ClassGuard {
  #module: EmscriptenHeap;
  #offset: number;
  #ids: number[] = [];
  #tags = new Uint32Array(0);

  /**
   * Finds the tag offset with a probe class (throws if it is ambiguous),
   * unless `knownOffset` gives what an earlier probe of the same build found.
   */
  constructor(pyodide: PyodideAPI, knownOffset?: number) {
    this.#module = (pyodide as unknown as { _module: EmscriptenHeap })._module;
    if (!(this.#module?.HEAPU32 instanceof Uint32Array)) {
      throw new Error("Pyodide build without HEAPU32: class guard unavailable");
    }
    if (typeof knownOffset === "number" && Number.isInteger(knownOffset) && knownOffset > 0) {
      this.#offset = knownOffset;
      return;
    }
    const scope = pyodide.toPy({});
    pyodide.runPython(PROBE, { globals: scope });
    const id = pyodide.runPython("id(_FaasProbe)", { globals: scope }) as number;
    const words = () => Array.from({ length: 64 }, (_, i) => this.#word(id + i * 4));
    const before = words();
    pyodide.runPython("_FaasProbe.x = 2", { globals: scope });
    const cleared = words();
    pyodide.runPython("_FaasProbe.x; _FaasProbe().x", { globals: scope });
    const after = words();
    scope.destroy();
    const offsets = before.flatMap((w, i) =>
      w !== 0 && cleared[i] === 0 && after[i] !== 0 && after[i] !== w ? [i * 4] : []
    );
    if (offsets.length !== 1) {
      throw new Error(`Cannot locate the type version tag (candidates: ${offsets})`);
    }
    this.#offset = offsets[0];
  }

  /** The tag's offset inside a type object. */
  get offset(): number {
    return this.#offset;
  }

  #word(address: number): number {
    return this.#module.HEAPU32[address >>> 2];
  }

  /** Starts tracking the classes with these ids (CPython addresses). */
  track(ids: number[]): void {
    // Plain loops here and in tagged(): a callback called per class gets
    // optimised by V8 anew in every worker, for this one call.
    const heap = this.#module.HEAPU32;
    const tags = new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) tags[i] = heap[(ids[i] + this.#offset) >>> 2];
    this.#ids = ids;
    this.#tags = tags;
  }

  /** Which tracked classes have a tag, a byte each (1: tagged; untagged ones need a full check). */
  tagged(): Uint8Array {
    const tags = this.#tags;
    const out = new Uint8Array(tags.length);
    for (let i = 0; i < tags.length; i++) out[i] = tags[i] !== 0 ? 1 : 0;
    return out;
  }

  /** Indexes of tracked classes whose tag changed since start or last accept. */
  changed(): number[] {
    // One read of the heap view and the fields for the whole scan: the loop
    // runs over every tracked class after every run.
    const heap = this.#module.HEAPU32;
    const ids = this.#ids;
    const tags = this.#tags;
    const offset = this.#offset;
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const tag = tags[i];
      if (tag !== 0 && heap[(ids[i] + offset) >>> 2] !== tag) out.push(i);
    }
    return out;
  }

  /** Takes class `index`'s current tag as its clean state (after a restore). */
  accept(index: number): void {
    this.#tags[index] = this.#word(this.#ids[index] + this.#offset);
  }
}
