/**
 * The start-up check of a link plan (link_plan.ts): links Pyodide's main
 * module twice in one throwaway worker, once by the stock glue, recording
 * the plan, and once by the patched glue following that plan, and compares
 * what the two leave behind, right after the link and again once both
 * runtimes are initialised and the planned link's deferred parts have run:
 * every table slot the linker filled, the GOT (names, order, values), the
 * symbol table (names, order, which export or JS function each holds) and
 * the table slot the glue would give each exported and JS function. Any
 * difference throws, and the host keeps the stock link.
 */
import {
  compileLinkPlan,
  type GlueInternals,
  type LinkPlan,
  linkReceiver,
  type LinkRecord,
  recordLinkPlan,
} from "./link_plan.ts";
import { type Emscripten, startGlue } from "./pyodide_fast_load.ts";

/** What the check needs. */
export interface ProbeOptions {
  /** Directory with Pyodide's files. */
  indexURL: string;
  /** pyodide.asm.wasm, compiled by the host. */
  wasmModule: WebAssembly.Module;
  /** The link-plan patched glue (glue_link_patch.ts). */
  gluePath: string;
}

/** A link as the check compares it. */
interface Linked {
  instance: WebAssembly.Instance;
  symbols: Record<string, unknown>;
  module: Emscripten;
  /** The plan read right after the link. */
  record: LinkRecord;
}

/**
 * Starts a runtime and reads its link right after it happens; `plan` links
 * by the plan with the patched glue, else the stock glue links.
 */
async function link(
  options: ProbeOptions,
  plan?: LinkPlan,
): Promise<Linked & { internals?: GlueInternals }> {
  let linked: Linked | undefined;
  let internals: GlueInternals | undefined;
  const receiver = plan && linkReceiver(plan);
  const module = await startGlue({
    indexURL: options.indexURL,
    wasmModule: options.wasmModule,
    gluePath: plan ? options.gluePath : undefined,
    linkPlan: receiver && {
      receive(instance, wasm, glue, stock) {
        internals = glue;
        return receiver.receive(instance, wasm, glue, stock);
      },
    },
    onLink(instance, imports, emscripten) {
      const table = instance.exports.__indirect_function_table as WebAssembly.Table;
      const tableBase = table.length;
      return () => {
        const symbols = imports.env as Record<string, unknown>;
        const record = recordLinkPlan({
          module: options.wasmModule,
          instance,
          tableBase,
          symbols,
          got: emscripten.GOT,
          addressOf: (f) => emscripten.getFunctionAddress(f),
        });
        linked = { instance, symbols, module: emscripten, record };
      };
    },
  });
  if (!linked) throw new Error("The link was not observed");
  return { ...linked, module, internals };
}

/** Everything of a finished link that must not depend on how it was done. */
function fullState(l: Linked): unknown {
  const values = Object.values(l.instance.exports);
  const exportIndex = new Map<unknown, number>();
  values.forEach((v, k) => exportIndex.has(v) || exportIndex.set(v, k));
  const got = l.module.GOT as Record<string, WebAssembly.Global>;
  const symbols = Object.entries(l.symbols).map(([name, v]) => {
    const k = exportIndex.get(v);
    return k !== undefined ? `${name}=export ${k}` : `${name}=${typeof v}`;
  });
  const addressOf = (f: unknown) => l.module.getFunctionAddress(f) as number;
  const jsAddresses = Object.entries(l.symbols)
    .filter(([, v]) => typeof v === "function" && !exportIndex.has(v))
    .map(([name, v]) => `${name}@${addressOf(v)}`);
  const table = l.instance.exports.__indirect_function_table as WebAssembly.Table;
  const tableAddresses = Array.from({ length: table.length }, (_, at) => {
    const held = table.get(at);
    return held === null ? -1 : addressOf(held);
  });
  return {
    table: table.length,
    tableAddresses,
    got: Object.entries(got).map(([name, g]) => `${name}=${g.value}`),
    symbols,
    exportAddresses: values.map((v) => typeof v === "function" ? addressOf(v) : -1),
    jsAddresses,
  };
}

/** The first difference between two values made of arrays, objects and scalars. */
function difference(a: unknown, b: unknown, path = ""): string | undefined {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    return difference(Array.from(a as Int32Array), Array.from(b as Int32Array), path);
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} != ${String(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const found = difference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (found) return found;
  }
  return undefined;
}

/**
 * A plan recorded from a stock link and shown to reproduce it; throws,
 * naming the first difference, when it does not.
 */
export async function probeLinkPlan(options: ProbeOptions): Promise<LinkPlan> {
  const stock = await link(options);
  const metadata = stock.module.getDylinkMetadata(options.wasmModule) as {
    neededDynlibs?: string[];
  };
  // The plan replaces the link of the main module alone.
  if (metadata.neededDynlibs?.length) throw new Error("The main module needs other libraries");
  const plan = compileLinkPlan(stock.record);
  const planned = await link(options, plan);
  if (!planned.internals) throw new Error("The patched glue did not use the plan");
  const early = difference(stock.record, planned.record, "link");
  if (early) throw new Error(`Planned link differs: ${early}`);
  planned.internals.complete();
  const late = difference(fullState(stock), fullState(planned), "runtime");
  if (late) throw new Error(`Planned link differs: ${late}`);
  return plan;
}
