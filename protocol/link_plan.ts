/**
 * The shape of a recorded link plan for Pyodide's main module, as a host
 * hands it to its Python workers (recorded, checked and applied by
 * workers/link_plan.ts).
 */

/** A plan as recorded, before its thunk module is compiled. */
export interface LinkRecord {
  /** Exports of the main module (checked, with their order, by count). */
  exportCount: number;
  /** The table's length after instantiation: where the linker's slots start. */
  tableBase: number;
  /**
   * For each slot the linker adds, from `tableBase` on: the index of the
   * export it holds (>= 0) or, as `-k - 1`, the k-th of `thunks`.
   */
  slots: Int32Array;
  /** The JS functions (by name in the symbol table) the linker put in the table. */
  thunks: { name: string; sig: string }[];
  /**
   * The slot the stock link's map of functions to slots gives each function
   * of the main module in the table, by function index (0: none).
   */
  functionAddresses: Int32Array;
  /** The main module's GOT imports, in import order. */
  gotNames: string[];
  /** Their values after the stock link. */
  gotValues: Int32Array;
}

/** A recorded plan with the module that wraps its JS functions for the table. */
export interface LinkPlan extends LinkRecord {
  /** Imports `e.f<k>` with the k-th thunk's signature and exports it as `f<k>`. */
  thunkModule: WebAssembly.Module;
}
