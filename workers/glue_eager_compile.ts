/**
 * Text edits that make V8 compile the glue's (pyodide.asm.mjs's) start-up
 * code when the module is compiled, rather than on first call: V8 keeps
 * only the code compiled by then in the code cache Deno stores for a
 * module file, so a lazily compiled function is parsed and compiled again
 * in every fresh worker. Wrapping a function in parentheses (V8's
 * "possibly invoked function expression" heuristic) compiles it eagerly.
 *
 * Only functions every instance runs once at start are worth it (each adds
 * to the cache, which every worker deserializes): the factory itself
 * (1.25 MB of source), `assignWasmExports` (~8.5k assignments, ~10-25 ms
 * to compile) and `pyodide_js_init` (Pyodide's JS API, ~5 ms). Turning a
 * declaration into a `var` changes only hoisting: none of them is used
 * above its definition.
 */

/** One replacement: `find` must occur exactly once in the glue. */
export interface GlueEdit {
  find: string;
  replace: string;
}

/** The edits, applied with glue_link_patch.ts's. */
export const EAGER_EDITS: readonly GlueEdit[] = [
  {
    find: "async function _createPyodideModule(moduleArg={}){",
    replace: "var _createPyodideModule=(async function _createPyodideModule(moduleArg={}){",
  },
  {
    find: ";return moduleRtn}export default _createPyodideModule;",
    replace: ";return moduleRtn});export default _createPyodideModule;",
  },
  {
    find: "function assignWasmExports(wasmExports){",
    replace: "var assignWasmExports=(function assignWasmExports(wasmExports){",
  },
  {
    // Its body is assignments only: the first closing brace ends it.
    find: ">>>0}var wasmImports={",
    replace: ">>>0});var wasmImports={",
  },
  {
    find: "function pyodide_js_init(){",
    replace: "var pyodide_js_init=(function pyodide_js_init(){",
  },
  {
    find: "})()}var StackSwitching=(()=>{",
    replace: "})()});var StackSwitching=(()=>{",
  },
];
