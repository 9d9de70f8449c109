/**
 * A recorded link plan for Pyodide's main module: what Emscripten's dynamic
 * linker does to every fresh instance (it walks the ~8.5k exports three or
 * four times, gives each exported function a table slot with one
 * `table.grow(1)` each, and compiles a small wasm module per JS function it
 * puts in the table), recorded once from a stock link and replayed with one
 * `table.grow(n)`, the table slots set in one loop, the JS functions wrapped
 * by one thunk module the host compiled once, and the main module's GOT
 * imports given their values. Merging every export into the symbol table
 * and a GOT entry per export are deferred until something reads them (a
 * side module, `dlopen`, `dlsym`: see glue_link_patch.ts), then done the
 * stock way; the map of functions to table slots answers from the plan
 * (planned_table_map.ts).
 *
 * The plan fits one build of Pyodide and one compiled module: the host
 * checks it against a stock link at start-up (link_plan_probe.ts) and each
 * worker checks the shape it relies on, falling back to the stock load on
 * any difference.
 */

import type { LinkPlan, LinkRecord } from "../protocol/link_plan.ts";
import { PlannedTableMap } from "./planned_table_map.ts";

export type { LinkPlan, LinkRecord };

/** The glue's linker state the patched `receiveInstance` hands over (glue_link_patch.ts). */
export interface GlueInternals {
  GOT: Record<string, WebAssembly.Global>;
  wasmImports: Record<string, unknown>;
  LDSO: { init(): void };
  mergeLibSymbols(exports: WebAssembly.Exports, name: string): void;
  updateGOT(exports: WebAssembly.Exports): void;
  getDylinkMetadata(module: WebAssembly.Module): { neededDynlibs?: string[] };
  applySignatureConversions(exports: WebAssembly.Exports): WebAssembly.Exports;
  assignWasmExports(exports: WebAssembly.Exports): void;
  loadDylibs(): Promise<void>;
  updateMemoryViews(): void;
  setWasmExports(exports: WebAssembly.Exports): void;
  setFunctionsInTableMap(map: PlannedTableMap): void;
  deferSymbols(run: () => void): void;
  /** Runs whatever of the planned link is still deferred. */
  complete(): void;
}

/** `Module.linkPlan` as the patched glue calls it. */
export interface LinkReceiver {
  receive(
    instance: WebAssembly.Instance,
    module: WebAssembly.Module,
    internals: GlueInternals,
    stock: (instance: WebAssembly.Instance, module: WebAssembly.Module) => WebAssembly.Exports,
  ): WebAssembly.Exports;
}

/** Emscripten's signature letters as wasm value types (its `wasmTypeCodes`). */
const TYPE_CODES: Record<string, number> = { i: 0x7f, p: 0x7f, j: 0x7e, f: 0x7d, d: 0x7c, e: 0x6f };

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...leb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

function valueTypes(letters: string): number[] {
  return [
    ...leb(letters.length),
    ...Array.from(letters, (c) => {
      const code = TYPE_CODES[c];
      if (code === undefined) throw new Error(`Unknown signature letter ${c}`);
      return code;
    }),
  ];
}

/**
 * The bytes of a module that imports `e.f<k>` with signature `sigs[k]`
 * (Emscripten's: return letter, then parameters) and exports it as `f<k>`:
 * what the glue's `convertJsFunctionToWasm` builds one module per function
 * for, all in one.
 */
export function thunkModuleBytes(sigs: readonly string[]): Uint8Array<ArrayBuffer> {
  const types: number[] = [...leb(sigs.length)];
  const imports: number[] = [...leb(sigs.length)];
  const exports: number[] = [...leb(sigs.length)];
  sigs.forEach((sig, k) => {
    types.push(0x60, ...valueTypes(sig.slice(1)), ...valueTypes(sig[0] === "v" ? "" : sig[0]));
    imports.push(...name("e"), ...name(`f${k}`), 0x00, ...leb(k));
    exports.push(...name(`f${k}`), 0x00, ...leb(k));
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(7, exports),
  ]);
}

/** `record` with its thunk module compiled. */
export function compileLinkPlan(record: LinkRecord): LinkPlan {
  const thunkModule = new WebAssembly.Module(thunkModuleBytes(record.thunks.map((t) => t.sig)));
  return { ...record, thunkModule };
}

/** The names of the main module's GOT imports, in import order. */
export function gotImportNames(module: WebAssembly.Module): string[] {
  const names = new Set<string>();
  for (const i of WebAssembly.Module.imports(module)) {
    if (i.module === "GOT.func" || i.module === "GOT.mem") names.add(i.name);
  }
  return [...names];
}

/** Export index of each exported function (the first, for aliases). */
function exportIndexes(values: readonly unknown[]): Map<unknown, number> {
  const indexes = new Map<unknown, number>();
  values.forEach((v, k) => {
    if (typeof v === "function" && !indexes.has(v)) indexes.set(v, k);
  });
  return indexes;
}

/** What a stock link left, read right after it, to record a plan from. */
export interface StockLink {
  module: WebAssembly.Module;
  instance: WebAssembly.Instance;
  /** The table's length before the link. */
  tableBase: number;
  /** The glue's symbol table (its `wasmImports`, the import object's `env`). */
  symbols: Record<string, unknown>;
  /** The glue's GOT (`Module.GOT`). */
  got: Record<string, WebAssembly.Global>;
  /** The glue's `Module.getFunctionAddress`. */
  addressOf(func: unknown): number;
}

/**
 * The plan of a stock link, read right after it; throws on anything the
 * plan cannot express (a table slot holding neither an export nor a JS
 * function of the GOT).
 */
export function recordLinkPlan(link: StockLink): LinkRecord {
  const values = Object.values(link.instance.exports);
  const indexes = exportIndexes(values);
  const table = link.instance.exports.__indirect_function_table as WebAssembly.Table;
  const gotNames = gotImportNames(link.module);
  const gotValues = new Int32Array(gotNames.map((n) => {
    const entry = link.got[n];
    if (!entry) throw new Error(`No GOT entry for ${n}`);
    return entry.value as number;
  }));
  // The JS functions the linker wrapped: GOT imports the module does not export.
  const jsAt = new Map<number, string>();
  gotNames.forEach((n, i) => {
    const value = link.symbols[n];
    if (typeof value === "function" && !indexes.has(value) && gotValues[i] >= link.tableBase) {
      if (!jsAt.has(gotValues[i])) jsAt.set(gotValues[i], n);
    }
  });
  const thunks: { name: string; sig: string }[] = [];
  const slots = new Int32Array(table.length - link.tableBase);
  for (let k = 0; k < slots.length; k++) {
    const at = link.tableBase + k;
    const held = table.get(at);
    const index = indexes.get(held);
    if (index !== undefined) {
      slots[k] = index;
      continue;
    }
    const jsName = jsAt.get(at);
    const fn = jsName === undefined ? undefined : link.symbols[jsName];
    const sig = (fn as { sig?: unknown } | undefined)?.sig;
    if (typeof sig !== "string" || link.addressOf(fn) !== at) {
      throw new Error(`Table slot ${at} holds neither an export nor a known JS function`);
    }
    slots[k] = -thunks.length - 1;
    thunks.push({ name: jsName!, sig });
  }
  return {
    exportCount: values.length,
    tableBase: link.tableBase,
    slots,
    thunks,
    functionAddresses: functionAddresses(table, slots, link),
    gotNames,
    gotValues,
  };
}

/**
 * The stock map's slot for each function of the main module in the table,
 * by function index (a wasm function's name); the JS functions' wrappers
 * (other modules' functions) are left out.
 */
function functionAddresses(table: WebAssembly.Table, slots: Int32Array, link: StockLink) {
  const byIndex: number[] = [];
  const end = link.tableBase + slots.length;
  for (let at = 0; at < end; at++) {
    if (at >= link.tableBase && slots[at - link.tableBase] < 0) continue;
    const held = table.get(at);
    if (held === null) continue;
    const name = (held as { name?: unknown }).name;
    if (typeof name !== "string" || !/^\d+$/.test(name)) {
      throw new Error(`Table slot ${at} holds a function without an index`);
    }
    byIndex[Number(name)] = link.addressOf(held);
  }
  return Int32Array.from(byIndex, (a) => a ?? 0);
}

/**
 * `Module.linkPlan` for the patched glue: links the main module by `plan`
 * and defers the rest. Throws (and the load fails, for the caller to fall
 * back) when the instance is not shaped as the plan expects.
 */
export function linkReceiver(plan: LinkPlan): LinkReceiver {
  return {
    receive(instance, _module, glue) {
      const exports = instance.exports;
      const values = Object.values(exports);
      const table = exports.__indirect_function_table as WebAssembly.Table;
      if (values.length !== plan.exportCount || table?.length !== plan.tableBase) {
        throw new Error("The module does not match the link plan");
      }
      const symbols = glue.wasmImports;
      const js = plan.thunks.map(({ name }) => {
        const fn = symbols[name];
        if (typeof fn !== "function") throw new Error(`Link plan: no JS function ${name}`);
        return fn as (...args: unknown[]) => unknown;
      });
      glue.setWasmExports(exports);
      const converted = glue.applySignatureConversions(exports);
      glue.setWasmExports(converted);
      glue.assignWasmExports(converted);
      const imports: WebAssembly.ModuleImports = {};
      js.forEach((fn, k) => imports[`f${k}`] = fn);
      const thunks = new WebAssembly.Instance(plan.thunkModule, { e: imports }).exports;
      const base = plan.tableBase;
      const slots = plan.slots;
      table.grow(slots.length);
      for (let k = 0; k < slots.length; k++) {
        const s = slots[k];
        table.set(base + k, (s >= 0 ? values[s] : thunks[`f${-s - 1}`]) as () => void);
      }
      const got = glue.GOT;
      for (let i = 0; i < plan.gotNames.length; i++) {
        const entry = got[plan.gotNames[i]];
        if (!entry) throw new Error(`Link plan: no GOT import ${plan.gotNames[i]}`);
        entry.value = plan.gotValues[i];
      }
      glue.LDSO.init();
      // Nothing is left undefined: this only checks so.
      glue.loadDylibs();
      glue.updateMemoryViews();
      const jsSlots = new Map<unknown, number>();
      for (let k = 0; k < slots.length; k++) {
        if (slots[k] < 0) jsSlots.set(js[-slots[k] - 1], base + k);
      }
      glue.setFunctionsInTableMap(new PlannedTableMap(table, plan.functionAddresses, jsSlots));
      glue.deferSymbols(() => {
        glue.mergeLibSymbols(exports, "main");
        glue.updateGOT(exports);
      });
      return converted;
    },
  };
}
