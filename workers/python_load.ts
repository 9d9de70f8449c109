/**
 * Getting a Python instance's interpreter: restored from the service's
 * memory snapshot (the fast way when the host vouched for Pyodide's build,
 * else the stock way), or loaded and prepared (to make the snapshot), with
 * the installed packages and compiled modules in place.
 */
import type { loadPyodide, PyodideAPI } from "pyodide";
import { PYTHON_HARNESS } from "./python_harness.ts";
import { PYTHON_PRELOAD } from "./python_preload.ts";
import type { NativeInstall } from "../protocol/native_bundle.ts";
import { loadFromSnapshot } from "./pyodide_fast_load.ts";
import type { InitMessage } from "./worker_common.ts";
import { ClassGuard } from "./class_guard.ts";

/** The home directory, where runs start. */
export const HOME = "/home/pyodide";

type LoadOptions = Parameters<typeof loadPyodide>[0];

/**
 * Pyodide's stock loader, imported only on the paths that use it (making
 * the snapshot, the stock restore): pyodide.mjs is an npm module, and
 * evaluating it in a fresh worker starts Deno's Node compatibility layer
 * (~10 ms of CPU), which the fast restore never needs.
 */
async function stockLoader(): Promise<typeof loadPyodide> {
  return (await import("pyodide")).loadPyodide;
}

/** Where the installed packages' zip sits in every instance's filesystem. */
export const PACKAGES_ZIP = "/lib/python-packages.zip";

/** A module of `FAAS_PYTHON_PRELOAD` that cannot be imported. */
export class PreloadError extends Error {}

/**
 * Loads Pyodide, puts the packages on `sys.path`, preloads common and
 * configured modules and prepares the harness.
 */
async function loadPrepared(
  indexURL: string,
  forSnapshot: boolean,
  packagesZip: Uint8Array | undefined,
  preload: readonly string[],
): Promise<PyodideAPI> {
  const loadPyodide = await stockLoader();
  const pyodide = await loadPyodide(
    { indexURL, env: { HOME }, _makeSnapshot: forSnapshot } as LoadOptions,
  );
  if (packagesZip) {
    pyodide.FS.writeFile(PACKAGES_ZIP, packagesZip);
    pyodide.runPython(`import sys\nsys.path.append(${JSON.stringify(PACKAGES_ZIP)})`);
  }
  pyodide.runPython("import " + PYTHON_PRELOAD.join(", "));
  for (const name of preload) {
    try {
      pyodide.pyimport(name);
    } catch (e) {
      const last = String(e instanceof Error ? e.message : e).trim().split("\n").pop();
      throw new PreloadError(`FAAS_PYTHON_PRELOAD: module "${name}" cannot be imported: ${last}`);
    }
  }
  pyodide.FS.mkdirTree(HOME);
  // Probed once here: instances restored from the snapshot read it from the
  // harness rather than probing again.
  const tagOffset = new ClassGuard(pyodide).offset;
  pyodide.runPython(
    `import sys, types\n_m = types.ModuleType("_faas_harness")\nexec(_src, _m.__dict__)\n` +
      `_m._class_tag_offset = ${tagOffset}\n` +
      `sys.modules["_faas_harness"] = _m\n_m.prepare(${JSON.stringify(HOME)})`,
    { globals: pyodide.toPy({ _src: PYTHON_HARNESS }) },
  );
  return pyodide;
}

/**
 * Installs compiled packages into this instance (see native_install.ts):
 * writes their files, loads the shared libraries, imports the preloads
 * (and, with `check`, every compiled module), then has the harness take
 * the state it resets to again, so those imports stay.
 */
export function installNative(pyodide: PyodideAPI, native: NativeInstall, check: boolean): void {
  const fs = pyodide.FS as unknown as {
    mkdirTree(path: string): void;
    writeFile(path: string, data: Uint8Array): void;
  };
  for (const [path, bytes] of Object.entries(native.files)) {
    fs.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    fs.writeFile(path, bytes);
  }
  const attempt = (what: string, action: () => void) => {
    try {
      action();
    } catch (e) {
      const last = String(e instanceof Error ? e.message : e).trim().split("\n").pop();
      throw new PreloadError(`${what}: ${last}`);
    }
  };
  // In a scope of its own: nothing lands in __main__.
  const py = (code: string) => pyodide.runPython(code, { globals: pyodide.toPy({}) });
  // The directory listings cached in the snapshot predate these files.
  py("import importlib\nimportlib.invalidate_caches()");
  for (const lib of native.sharedLibs) {
    attempt(
      `Shared library ${lib} cannot be loaded`,
      () => py(`import ctypes\nctypes.CDLL(${JSON.stringify(lib)}, mode=ctypes.RTLD_GLOBAL)`),
    );
  }
  for (const name of native.preload) {
    attempt(
      `FAAS_PYTHON_PRELOAD: module "${name}" cannot be imported`,
      () => pyodide.pyimport(name),
    );
  }
  for (const name of check ? native.check : []) {
    attempt(`Compiled Python module "${name}" cannot be imported`, () => pyodide.pyimport(name));
  }
  py(`import sys\nsys.modules["_faas_harness"].rebaseline(${JSON.stringify(HOME)})`);
}

/**
 * The instance's interpreter: restored from `init.snapshot` (fast, else
 * stock), or loaded and prepared when there is none.
 */
export async function loadInterpreter(init: InitMessage): Promise<PyodideAPI> {
  // A memory snapshot skips loading, preloading and preparing (~3 s ->
  // ~0.15 s); without one the worker does it all, and may make a snapshot.
  return await fastRestore(init) ?? await instantiatingWith(
    init.wasmModule,
    () =>
      init.snapshot
        ? stockLoader().then((loadPyodide) =>
          loadPyodide({ indexURL: init.indexURL, _loadSnapshot: init.snapshot } as LoadOptions)
        )
        : loadPrepared(
          init.indexURL,
          init.makeSnapshot === true,
          init.packagesZip,
          init.preload ?? [],
        ),
  );
}

/**
 * Restores the snapshot through pyodide_fast_load.ts when the host vouched
 * for the build (`init.fastLoad`); undefined, after a log line, when that
 * fails, and the caller loads the stock way.
 */
async function fastRestore(init: InitMessage): Promise<PyodideAPI | undefined> {
  if (!init.fastLoad || !init.snapshot || !init.wasmModule) return undefined;
  try {
    return await loadFromSnapshot({
      indexURL: init.indexURL,
      snapshot: init.snapshot,
      ranges: init.snapshotRanges,
      wasmModule: init.wasmModule,
      linkPlan: init.gluePath ? init.linkPlan : undefined,
      gluePath: init.gluePath,
    });
  } catch (e) {
    console.error(`Fast Pyodide restore failed, loading the stock way: ${e}`);
    // The stock loader keeps the snapshot where runs can reach it: never
    // the host's shared copy.
    if (init.snapshot.buffer instanceof SharedArrayBuffer) init.snapshot = init.snapshot.slice();
    return undefined;
  }
}

/**
 * Runs `load` with Pyodide's wasm instantiated from `compiled` when given:
 * the host compiled it once, and V8 shares that code, already optimised by
 * earlier workers, with every worker of the process, so a new instance
 * neither compiles nor starts on cold code. Then frees the bytes of every
 * wasm module instantiated from a buffer: V8 keeps its own copy, while
 * Pyodide's loader holds its 9.6 MB buffer for the worker's life;
 * detaching the buffer frees it at once.
 */
async function instantiatingWith<T>(
  compiled: WebAssembly.Module | undefined,
  load: () => Promise<T>,
): Promise<T> {
  const instantiate = WebAssembly.instantiate as (
    s: unknown,
    i?: WebAssembly.Imports,
  ) => Promise<unknown>;
  const buffers: ArrayBuffer[] = [];
  WebAssembly.instantiate = async function (source: unknown, imports?: WebAssembly.Imports) {
    let buffer: ArrayBuffer | undefined;
    if (source instanceof ArrayBuffer) buffer = source;
    else if (ArrayBuffer.isView(source) && source.buffer instanceof ArrayBuffer) {
      buffer = source.buffer;
    }
    if (buffer) buffers.push(buffer);
    // Only Pyodide's own module comes as megabytes; small ones compile as usual.
    if (compiled && buffer && buffer.byteLength > 1024 * 1024) {
      const instance = await instantiate(compiled, imports);
      return { instance, module: compiled };
    }
    return instantiate(source, imports);
  } as typeof WebAssembly.instantiate;
  try {
    return await load();
  } finally {
    WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
    for (const buffer of buffers) {
      try {
        if (!buffer.detached) buffer.transfer(0);
      } catch {
        // Not detachable (e.g. a wasm memory's buffer): leave it.
      }
    }
  }
}

/**
 * Makes wasm memory growth fail past the cap, so a runaway allocation raises
 * MemoryError inside Python instead of taking the whole host down.
 */
export function capWasmMemory(limitBytes: number): void {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (this: WebAssembly.Memory, delta: number) {
    if (this.buffer.byteLength + delta * 65536 > limitBytes) {
      throw new RangeError(`Memory limit of ${limitBytes} bytes reached`);
    }
    return grow.call(this, delta);
  };
}
