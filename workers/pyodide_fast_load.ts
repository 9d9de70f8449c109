/// <reference lib="deno.worker" />
/**
 * Restores Pyodide from a memory snapshot without `loadPyodide` (as workerd
 * does): calls the glue's factory (pyodide.asm.mjs) with the settings
 * pyodide.mjs would give it, but
 * - on the browser-worker path rather than the Node one: no `node:*` module
 *   is imported, `process` is hidden while the glue decides where it runs,
 *   and the runtime flags handed to Pyodide say "not Node", so nothing of
 *   Pyodide ever reaches for `process` or `require`;
 * - with the wasm module the host compiled once (no 9.6 MB file read);
 * - writing only the snapshot's non-zero pages into the fresh memory.
 *
 * This relies on internals of one exact Pyodide build: the host checks the
 * hashes of pyodide.mjs and pyodide.asm.mjs against {@linkcode FAST_LOAD_PINS}
 * and uses it only when they match; the worker falls back to `loadPyodide`
 * on any failure.
 */
import type { PyodideAPI } from "pyodide";
import { type LinkPlan, type LinkReceiver, linkReceiver } from "./link_plan.ts";
import { makeLazyFile } from "./lazy_file.ts";

/**
 * SHA-256 of the files in Pyodide's directory whose internals this module
 * relies on (the glue; the loader's part is tied to the snapshot by its
 * BUILD_ID).
 */
export const FAST_LOAD_PINS: Readonly<Record<string, string>> = {
  "pyodide.asm.mjs": "f7cdc8ece80678ceb712f8e65ebe6d3a83203a180c399865f49612a051693635",
};

/** The version the pins belong to. */
export const FAST_LOAD_VERSION = "314.0.7";
/** pyodide.mjs's BUILD_ID, which the snapshot header carries. */
const BUILD_ID = "990c3b51a9722d62434de2bbc9643732658d488c1b6d467f22c1b6beba80d497";
/** Snapshot header: magic number and size (see `API.makeSnapshot`). */
const SNAPSHOT_MAGIC = 1886286592;
const SNAPSHOT_HEADER_BYTES = 48;
/** pyodide.mjs's `Jsv_GetError_import`/`JsvError_Check` module. */
const JSV_ERROR_WASM =
  "AGFzbQEAAAABDANfAGAAAW9gAW8BfwMDAgECBygCE0pzdl9HZXRFcnJvcl9pbXBvcnQAAA5Kc3ZFcnJvcl9DaGVjawABChMCBwD7AQD7GwsJACAA+xr7FAAL";
/** Granule of the sparse restore. */
const PAGE = 4096;

/** What the fast path needs. */
export interface FastLoadOptions {
  /** Directory with Pyodide's files, as given to `loadPyodide`. */
  indexURL: string;
  /**
   * The memory snapshot, only read: it may be the host's shared copy, so
   * nothing here keeps a reference to it.
   */
  snapshot: Uint8Array;
  /** {@linkcode nonZeroRanges} of the snapshot's memory, if known. */
  ranges?: Uint32Array;
  /** pyodide.asm.wasm, compiled by the host. */
  wasmModule: WebAssembly.Module;
  /** A link plan the host checked (link_plan.ts), with `gluePath`. */
  linkPlan?: LinkPlan;
  /** The link-plan patched glue (glue_link_patch.ts), used with `linkPlan`. */
  gluePath?: string;
}

type Settings = Record<string, unknown> & { API: Record<string, unknown> };
/** Emscripten's module object: untyped, as Pyodide ships no types for it. */
// deno-lint-ignore no-explicit-any
export type Emscripten = any;

/**
 * Runtime flags Pyodide's JS takes instead of probing the global scope: a
 * browser worker. Not Deno either, so its scheduler uses a MessageChannel
 * rather than `setTimeout(0)`.
 */
const RUNTIME_ENV = Object.freeze({
  IN_BUN: false,
  IN_DENO: false,
  IN_NODE: false,
  IN_SAFARI: false,
  IN_SHELL: false,
  IN_WORKERD: false,
  IN_BROWSER: true,
  IN_BROWSER_MAIN_THREAD: false,
  IN_BROWSER_WEB_WORKER: true,
  IN_NODE_COMMONJS: false,
  IN_NODE_ESM: false,
});

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function jsvErrorImports(): Record<string, unknown> {
  try {
    const module = new WebAssembly.Module(base64Bytes(JSV_ERROR_WASM));
    return new WebAssembly.Instance(module).exports;
  } catch {
    const marker = Symbol("error marker");
    return { Jsv_GetError_import: () => marker, JsvError_Check: (v: unknown) => v === marker };
  }
}

/** Reads a file Pyodide's loader would fetch, as bytes. */
function readBinary(path: string): Promise<Uint8Array> {
  return Deno.readFile(path);
}

/** The header of a snapshot: where memory starts and the JSON it carries. */
function parseSnapshot(snapshot: Uint8Array): { memory: Uint8Array; extra: unknown } {
  if (snapshot.byteOffset % 4 !== 0) throw new Error("Snapshot is not aligned");
  const header = new Uint32Array(snapshot.buffer, snapshot.byteOffset, SNAPSHOT_HEADER_BYTES / 4);
  if (header[0] !== SNAPSHOT_MAGIC) throw new Error("Snapshot has invalid magic number");
  const memoryStart = header[1];
  const jsonBytes = header[2];
  const buildId = Array.from(header.subarray(4, 12), (w) => w.toString(16).padStart(8, "0"))
    .join("");
  if (buildId !== BUILD_ID) throw new Error(`Snapshot build id mismatch: ${buildId}`);
  const json = new TextDecoder().decode(
    snapshot.subarray(SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + jsonBytes),
  );
  return { memory: snapshot.subarray(memoryStart), extra: JSON.parse(json) };
}

/** The memory part of a snapshot this module can restore; undefined for another. */
export function snapshotMemory(snapshot: Uint8Array): Uint8Array | undefined {
  try {
    return parseSnapshot(snapshot).memory;
  } catch {
    return undefined;
  }
}

/**
 * The byte ranges of `memory` (a snapshot's memory part) that are not zero,
 * in whole pages, as [start, end) pairs. The host computes them once per
 * snapshot.
 */
export function nonZeroRanges(memory: Uint8Array): Uint32Array {
  const ranges: number[] = [];
  const pages = Math.ceil(memory.length / PAGE);
  const aligned = memory.byteOffset % 4 === 0;
  for (let page = 0; page < pages; page++) {
    const start = page * PAGE;
    const end = Math.min(start + PAGE, memory.length);
    let bits = 0;
    if (aligned && end - start === PAGE) {
      const words = new Int32Array(memory.buffer, memory.byteOffset + start, PAGE / 4);
      for (let i = 0; i < words.length; i++) bits |= words[i];
    } else {
      for (let i = start; i < end; i++) bits |= memory[i];
    }
    if (bits === 0) continue;
    if (ranges.length && ranges[ranges.length - 1] === start) ranges[ranges.length - 1] = end;
    else ranges.push(start, end);
  }
  return new Uint32Array(ranges);
}

/** Where a fresh instance's memory was written to before the restore. */
export interface MemoryLayout {
  /** Lowest address of the C stack (it grows down from `stackBase`). */
  stackEnd: number;
  /** Highest address of the C stack. */
  stackBase: number;
  /** The heap's current end (`sbrk(0)`). */
  heapEnd: number;
}

/**
 * Writes the snapshot's memory into the fresh wasm memory touching as few
 * pages as possible (page faults are most of a restore's cost):
 * - below the heap's current end everything, since instantiation and the
 *   runtime's start wrote there, except the C stack: no wasm frame is live
 *   while a snapshot is made or restored, so all of it is dead space;
 * - above it only the pages the snapshot has non-zero: the rest of a fresh
 *   memory is zero already, and nothing has written there yet.
 */
export function sparseRestore(
  heap: Uint8Array,
  memory: Uint8Array,
  ranges: Uint32Array,
  layout: MemoryLayout,
): void {
  if (heap.length < memory.length) throw new Error("Snapshot larger than memory");
  const { stackEnd, stackBase, heapEnd } = layout;
  if (!(0 < stackEnd && stackEnd < stackBase && stackBase <= heapEnd)) {
    throw new Error(`Unexpected memory layout ${JSON.stringify(layout)}`);
  }
  const low = Math.min(memory.length, Math.ceil(heapEnd / PAGE) * PAGE);
  heap.set(memory.subarray(0, Math.min(stackEnd, low)));
  heap.set(memory.subarray(stackBase, low), stackBase);
  for (let i = 0; i < ranges.length; i += 2) {
    const start = Math.max(ranges[i], low);
    const end = Math.min(ranges[i + 1], memory.length);
    if (start < end) heap.set(memory.subarray(start, end), start);
  }
}

/** What {@linkcode startGlue} needs. */
export interface GlueOptions {
  /** Directory with Pyodide's files, as given to `loadPyodide`. */
  indexURL: string;
  /** pyodide.asm.wasm, compiled by the host. */
  wasmModule: WebAssembly.Module;
  /** The glue to run instead of `indexURL`'s (the link-plan patched copy). */
  gluePath?: string;
  /** Links the main module instead of the glue's own linker (link_plan.ts). */
  linkPlan?: LinkReceiver;
  /** Initial size of the wasm memory, bytes; the glue's default when absent. */
  initialMemory?: number;
  /**
   * Called with the instance right before the glue links it, the import
   * object it was instantiated with (the glue's symbol table is its `env`)
   * and the glue's module object; what it returns is called right after.
   */
  onLink?: (
    instance: WebAssembly.Instance,
    imports: WebAssembly.Imports,
    module: Emscripten,
  ) => (() => void) | void;
}

/**
 * Runs the glue's factory the way pyodide.mjs would (on the browser-worker
 * path, with the host's compiled module) up to a fresh, initialised runtime:
 * Pyodide's Emscripten module, its Python not bootstrapped yet.
 */
export async function startGlue(options: GlueOptions): Promise<Emscripten> {
  const indexURL = options.indexURL.endsWith("/") ? options.indexURL : options.indexURL + "/";
  const env = { HOME: "/home/pyodide", PYTHONINSPECT: "1" };
  const scope = globalThis as { prompt?: () => string | null };
  const lockFile = readBinary(indexURL + "pyodide-lock.json").then((b) =>
    JSON.parse(new TextDecoder().decode(b))
  );
  // As pyodide.mjs's initializeConfiguration makes it for { indexURL }.
  const config: Record<string, unknown> = {
    jsglobals: globalThis,
    stdin: scope.prompt ? () => scope.prompt!() : undefined,
    args: [],
    env,
    packages: [],
    packageCacheDir: indexURL,
    enableRunUntilComplete: true,
    checkAPIVersion: true,
    BUILD_ID,
    indexURL,
    packageBaseUrl: indexURL,
    cdnUrl: `https://cdn.jsdelivr.net/pyodide/v${FAST_LOAD_VERSION}/full/`,
    lockFileContents: lockFile,
  };
  const { wasmModule, onLink } = options;
  let failLoad!: (reason: unknown) => void;
  const linkFailed = new Promise<never>((_, reject) => failLoad = reject);
  const API: Record<string, unknown> = { config, runtimeEnv: RUNTIME_ENV };
  API.lockFilePromise = Promise.resolve(lockFile);
  const settings: Settings = {
    noImageDecoding: true,
    noAudioDecoding: true,
    noWasmDecoding: false,
    preRun: [
      installStdlib(indexURL + "python_stdlib.zip"),
      (m: Emscripten) => {
        m.FS.mkdirTree(env.HOME);
        m.FS.chdir(env.HOME);
      },
      (m: Emscripten) => Object.assign(m.ENV, env),
    ],
    print: undefined,
    printErr: undefined,
    onExit(code: number) {
      settings.exitCode = code;
    },
    thisProgram: undefined,
    arguments: [],
    API,
    locateFile: (path: string) => indexURL + path,
    instantiateWasm(
      imports: WebAssembly.Imports,
      receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
    ) {
      Object.assign(imports.env as Record<string, unknown>, jsvErrorImports());
      // The glue only logs a failure here and never settles: the load
      // fails instead, and the caller falls back.
      WebAssembly.instantiate(wasmModule, imports).then((instance) => {
        // The glue's module object is these settings.
        const after = onLink?.(instance, imports, settings);
        receive(instance, wasmModule);
        after?.();
      }).catch(failLoad);
      return {};
    },
    noInitialRun: true,
  };
  if (options.initialMemory !== undefined) settings.INITIAL_MEMORY = options.initialMemory;
  if (options.linkPlan) settings.linkPlan = options.linkPlan;
  const glue = new URL("file:///");
  glue.pathname = options.gluePath ?? indexURL + "pyodide.asm.mjs";
  const factory = (await import(glue.href)).default as (
    s: Settings,
  ) => Promise<Emscripten>;
  const module = await withThunkCache(() =>
    Promise.race([withoutProcess(() => factory(settings)), linkFailed])
  );
  if (settings.exitCode !== undefined) throw new module.ExitStatus(settings.exitCode);
  return module;
}

/** Restores Pyodide from `options.snapshot` the fast way. */
export async function loadFromSnapshot(options: FastLoadOptions): Promise<PyodideAPI> {
  const { memory, extra } = parseSnapshot(options.snapshot);
  const module = await startGlue({
    indexURL: options.indexURL,
    wasmModule: options.wasmModule,
    gluePath: options.linkPlan ? options.gluePath : undefined,
    linkPlan: options.linkPlan && linkReceiver(options.linkPlan),
    initialMemory: options.snapshot.length,
  });
  const api = module.API;
  if (api.version !== FAST_LOAD_VERSION) throw new Error(`Pyodide version ${api.version}`);
  module.locateFile = (path: string) => {
    throw path.endsWith(".so")
      ? new Error(`Failed to find dynamic library "${path}"`)
      : new Error(`Unexpected call to locateFile("${path}")`);
  };
  sparseRestore(
    module.HEAP8 as Uint8Array,
    memory,
    options.ranges ?? nonZeroRanges(memory),
    {
      stackEnd: module._emscripten_stack_get_end(),
      stackBase: module._emscripten_stack_get_base(),
      heapEnd: module._sbrk(0),
    },
  );
  const pyodide = api.finalizeBootstrap(extra, undefined);
  // As pyodide.mjs's finalizeSetup.
  const internal = pyodide._api;
  internal.sys.path.insert(0, "");
  internal._pyodide.set_excepthook();
  await internal.packageIndexReady;
  const config = api.config as Record<string, unknown>;
  internal.initializeStreams(config.stdin, undefined, undefined);
  return pyodide as PyodideAPI;
}

function installStdlib(source: string) {
  return (m: Emscripten) => {
    const version = m.HEAPU32[m._Py_Version >>> 2];
    const major = version >>> 24 & 255, minor = version >>> 16 & 255;
    m.API.pyVersionTuple = [major, minor, version >>> 8 & 255];
    m.FS.mkdirTree("/lib");
    m.API.sitePackages = `/lib/python${major}.${minor}/site-packages`;
    m.FS.mkdirTree(m.API.sitePackages);
    m.FS.mkdirTree(`/lib/python${major}.${minor}/lib-dynload`);
    // Read when an import first needs it (see lazy_file.ts).
    const path = `/lib/python${major}${minor}.zip`;
    m.FS.writeFile(path, new Uint8Array(0));
    makeLazyFile(m.FS.lookupPath(path).node, source);
  };
}

/**
 * Runs `load` with `new WebAssembly.Module` answering repeated small
 * modules from a cache: the dynamic linker compiles one tiny module per JS
 * function it puts in the table (~260 at start), all alike but for their
 * signature.
 */
async function withThunkCache<T>(load: () => Promise<T>): Promise<T> {
  const original = WebAssembly.Module;
  const cache = new Map<string, WebAssembly.Module>();
  WebAssembly.Module = new Proxy(original, {
    construct(target, args: [BufferSource], newTarget) {
      const [bytes] = args;
      if (
        !(bytes instanceof Uint8Array) || bytes.length > 256 || newTarget !== WebAssembly.Module
      ) {
        return Reflect.construct(target, args, newTarget);
      }
      const key = bytes.join(",");
      let module = cache.get(key);
      if (!module) cache.set(key, module = new target(bytes));
      return module;
    },
  });
  try {
    return await load();
  } finally {
    WebAssembly.Module = original;
  }
}

/**
 * Runs `start` with `globalThis.process` absent, so Emscripten's glue takes
 * its browser-worker path (it decides synchronously, on entry).
 */
function withoutProcess<T>(start: () => T): T {
  const g = globalThis as Record<string, unknown>;
  const descriptor = Object.getOwnPropertyDescriptor(g, "process");
  if (descriptor) delete g.process;
  try {
    return start();
  } finally {
    if (descriptor) Object.defineProperty(g, "process", descriptor);
  }
}
