/**
 * Compiled code by source, least recently used first out. Evaluators send
 * the same snippet again and again, and compiling is much of a short run's
 * cost. Only compiled code is kept (immutable, bound to no run's globals),
 * in the worker's realm, out of user code's reach. Long sources are not
 * kept, so the cache stays small beside the instance's memory cap.
 */
export class CodeCache<T> {
  readonly #entries = new Map<string, T>();
  readonly #maxEntries: number;
  readonly #maxKeyChars: number;
  readonly #evicted: (value: T) => void;

  /**
   * @param maxEntries how many sources are kept
   * @param maxKeyChars sources longer than this are never kept
   * @param evicted called with each value dropped from the cache
   */
  constructor(maxEntries: number, maxKeyChars: number, evicted: (value: T) => void = () => {}) {
    this.#maxEntries = maxEntries;
    this.#maxKeyChars = maxKeyChars;
    this.#evicted = evicted;
  }

  /** Number of kept sources. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value kept for `key`, made the most recently used; undefined if none. */
  get(key: string): T | undefined {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
    }
    return hit;
  }

  /** Keeps `value` for `key` unless the key is too long; returns whether it was kept. */
  set(key: string, value: T): boolean {
    if (key.length > this.#maxKeyChars) return false;
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxEntries) {
      const [oldest, dropped] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#evicted(dropped);
    }
    this.#entries.set(key, value);
    return true;
  }
}
