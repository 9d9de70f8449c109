/**
 * The text patch that lets a recorded link plan (link_plan.ts) replace the
 * dynamic linking of Pyodide's main module inside Emscripten's glue
 * (pyodide.asm.mjs of the build in {@linkcode FAST_LOAD_PINS}).
 *
 * The glue keeps its linker's state (the GOT, the symbol table, the map of
 * functions to table slots) in closure variables, so no setting of the
 * factory can reach it: the patch hands it to `Module.linkPlan` when that is
 * set, and otherwise changes nothing. It also lets the planned link defer
 * two walks over the module's ~8.5k exports (merging them into the symbol
 * table and giving each a GOT entry) until something reads them: every
 * reader of that state first runs what was deferred.
 *
 * The same patch makes V8 compile the glue's start-up code eagerly, so
 * Deno's code cache keeps it (glue_eager_compile.ts).
 *
 * The patched text is written to a file by the server (a module evaluated
 * from a blob or data URL costs ~165 ms of Deno's module analysis per
 * worker; a file is analysed once per host and its code is cached).
 */

import { EAGER_EDITS, type GlueEdit } from "./glue_eager_compile.ts";

/** Runs a deferred part of the planned link, if any is still pending. */
const COMPLETE = "linkComplete();";

/**
 * What the planned link may read and change, built where it runs (inside
 * `createWasm`), so it sees the factory's closure.
 */
const INTERNALS = "{" + [
  "GOT",
  "wasmImports",
  "LDSO",
  "mergeLibSymbols",
  "updateGOT",
  "getDylinkMetadata",
  "applySignatureConversions",
  "assignWasmExports",
  "loadDylibs",
  "updateMemoryViews",
  "setWasmExports:x=>{wasmExports=x}",
  "setFunctionsInTableMap:m=>{functionsInTableMap=m}",
  "deferSymbols:f=>{linkPending=f}",
  "complete:linkComplete",
].join(",") + "}";

const EDITS: readonly GlueEdit[] = [
  {
    // The pending parts and the functions that run them, at the factory's top level.
    find: "var wasmTableMirror=[];",
    replace: "var linkPending=null,linkQueue=[];" +
      "function linkComplete(){if(linkPending){var f=linkPending;linkPending=null;f();" +
      "while(linkQueue.length)linkQueue.shift()()}}" +
      "var wasmTableMirror=[];",
  },
  {
    // The main module's link: the plan's when one is set, else the stock one.
    find: "function receiveInstance(instance,module){",
    replace: 'function receiveInstance(instance,module){var plan=Module["linkPlan"];' +
      `return plan?plan.receive(instance,module,${INTERNALS},stockReceiveInstance):` +
      "stockReceiveInstance(instance,module)}" +
      "function stockReceiveInstance(instance,module){",
  },
  // Readers of the symbol table, the GOT and the loaded libraries.
  { find: "var isSymbolDefined=symName=>{", replace: "var isSymbolDefined=symName=>{" + COMPLETE },
  {
    find: "var loadWebAssemblyModule=(binary,flags,libName,localScope,handle)=>{",
    replace: "var loadWebAssemblyModule=(binary,flags,libName,localScope,handle)=>{" + COMPLETE,
  },
  {
    find:
      "function loadDynamicLibrary(libName,flags={global:true,nodelete:true},localScope,handle){",
    replace:
      "function loadDynamicLibrary(libName,flags={global:true,nodelete:true},localScope,handle){" +
      COMPLETE,
  },
  {
    find: "function __dlsym_js(handle,symbol,symbolIndex){",
    replace: "function __dlsym_js(handle,symbol,symbolIndex){" + COMPLETE,
  },
  {
    find: "function __dlsym_catchup_js(handle,symbolIndex){",
    replace: "function __dlsym_catchup_js(handle,symbolIndex){" + COMPLETE,
  },
  {
    // An EM_ASM block every snapshot restore runs: it writes to the symbol
    // table, so while the merge is pending it waits for it, to keep the
    // stock order of the two.
    find: '=>{wasmImports["open64"]=wasmImports["open"]}',
    replace: '=>{var alias=()=>{wasmImports["open64"]=wasmImports["open"]};' +
      "if(linkPending){linkQueue.push(alias)}else{alias()}}",
  },
];

/**
 * The glue with the link-plan hooks; throws when `source` is not the text
 * the edits were written for (an anchor missing or found twice).
 */
export function patchGlue(source: string): string {
  let text = source;
  for (const { find, replace } of [...EDITS, ...EAGER_EDITS]) {
    const at = text.indexOf(find);
    if (at < 0 || text.indexOf(find, at + 1) >= 0) {
      throw new Error(`Glue patch anchor not found exactly once: ${find.slice(0, 60)}`);
    }
    text = text.slice(0, at) + replace + text.slice(at + find.length);
  }
  return text;
}
