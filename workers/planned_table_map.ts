/**
 * The glue's map of functions to their table slots (`functionsInTableMap`)
 * after a planned link (link_plan.ts), without building it: the stock link
 * builds it by reading every slot of the table (~14k `table.get` calls, the
 * dearest part of the link once the rest is planned), where this answers
 * each lookup from the slots the stock link recorded, by function index,
 * and keeps what the glue changes afterwards.
 */

/** Duck-types the `WeakMap` the glue keeps: it only calls these three. */
export class PlannedTableMap {
  readonly #table: WebAssembly.Table;
  readonly #addresses: Int32Array;
  readonly #js: ReadonlyMap<unknown, number>;
  /** Slots set or deleted since the link (0: deleted). */
  readonly #changed = new WeakMap<object, number>();

  /**
   * @param table the main module's table
   * @param addresses the stock map's slot for each function of the main
   *   module, by function index (0: not in the map)
   * @param js the slots of the JS functions the link put in the table
   */
  constructor(
    table: WebAssembly.Table,
    addresses: Int32Array,
    js: ReadonlyMap<unknown, number>,
  ) {
    this.#table = table;
    this.#addresses = addresses;
    this.#js = js;
  }

  /** The slot of `func`, as the stock map would give it. */
  get(func: unknown): number | undefined {
    if ((typeof func !== "object" && typeof func !== "function") || func === null) return undefined;
    const changed = this.#changed.get(func);
    if (changed !== undefined) return changed || undefined;
    const js = this.#js.get(func);
    if (js !== undefined) return js;
    // A wasm function's name is its index in its module; the slot must
    // still hold this very function (another module's may share the name).
    const name = (func as { name?: unknown }).name;
    if (typeof func !== "function" || typeof name !== "string" || !/^\d+$/.test(name)) {
      return undefined;
    }
    const at = this.#addresses[Number(name)];
    return at && this.#table.get(at) === func ? at : undefined;
  }

  /** Records that `func` is now at `slot`. */
  set(func: object, slot: number): this {
    this.#changed.set(func, slot);
    return this;
  }

  /** Records that `func` left the table. */
  delete(func: object): boolean {
    const had = this.get(func) !== undefined;
    this.#changed.set(func, 0);
    return had;
  }
}
