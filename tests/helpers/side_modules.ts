/**
 * Compiled Python extension modules and shared libraries for Pyodide, made
 * at test time: WebAssembly side modules (Emscripten's dynamic-linking
 * format, a `dylink.0` section first) written in WebAssembly text and
 * assembled with wabt. Each is tiny but real: Pyodide's dlopen loads it,
 * resolves its imports against the interpreter, and Python calls its code.
 */
import initWabt from "wabt";
import { zipSync } from "fflate";
import { writeWheel } from "./wheels.ts";

const wabt = await initWabt();
const encoder = new TextEncoder();

function uleb(n: number): number[] {
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
  const bytes = [...encoder.encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** Assembles `wat` and puts the `dylink.0` section (memory, table, needed libraries) first. */
function sideModule(wat: string, memoryBytes: number, tableSize: number, needed: string[]) {
  const { buffer } = wabt.parseWat("side.wat", wat).toBinary({});
  const memInfo = [...uleb(memoryBytes), 2, ...uleb(tableSize), 0];
  const subsections = [1, ...uleb(memInfo.length), ...memInfo];
  if (needed.length) {
    const list = [...uleb(needed.length), ...needed.flatMap(name)];
    subsections.push(2, ...uleb(list.length), ...list);
  }
  const content = [...name("dylink.0"), ...subsections];
  return new Uint8Array([
    ...buffer.slice(0, 8),
    0,
    ...uleb(content.length),
    ...content,
    ...buffer.slice(8),
  ]);
}

/** What {@linkcode extensionModule} builds. */
export interface ExtensionSpec {
  /** The module's name (it exports `PyInit_<module>`). */
  module: string;
  /** Its one function, `fn(x)`, returns `x * factor` as an int. */
  fn: string;
  factor: number;
  /** Take the product from `faas_multiply` of this shared library (listed as needed). */
  multiplyFrom?: string;
  /** Make initialisation fail, as a module built wrong would. */
  failInit?: boolean;
}

/**
 * A Python extension module, a wasm side module as Pyodide loads them. It
 * uses multi-phase initialisation and, like numpy, refuses to initialise a
 * second time in one process.
 */
export function extensionModule(spec: ExtensionSpec): Uint8Array {
  const { module, fn, factor, multiplyFrom } = spec;
  // Static data: PyModuleDef at 0 (52 bytes), PyMethodDef[2] at 52,
  // PyModuleDef_Slot[2] at 84, the "initialised" flag at 100, names at 112
  // and 144.
  const data = new Uint8Array(176);
  // An immortal reference count, as CPython's static objects have on wasm32.
  new DataView(data.buffer).setUint32(0, 0x70000000, true);
  data.set(encoder.encode(`${module}\0`), 112);
  data.set(encoder.encode(`${fn}\0`), 144);
  const bytes = [...data].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  const multiply = multiplyFrom
    ? `(call $multiply (call $as_long (local.get $arg)) (i32.const ${factor}))`
    : `(i32.mul (call $as_long (local.get $arg)) (i32.const ${factor}))`;
  const wat = `(module
    (import "env" "memory" (memory 0))
    (import "env" "__indirect_function_table" (table 0 funcref))
    (import "env" "__memory_base" (global $base i32))
    (import "env" "__table_base" (global $table i32))
    (import "env" "PyModuleDef_Init" (func $def_init (param i32) (result i32)))
    (import "env" "PyLong_AsLong" (func $as_long (param i32) (result i32)))
    (import "env" "PyLong_FromLong" (func $from_long (param i32) (result i32)))
    ${
    multiplyFrom
      ? `(import "env" "faas_multiply" (func $multiply (param i32 i32) (result i32)))`
      : ""
  }
    (data (global.get $base) "${bytes}")
    (elem (global.get $table) $method $exec)
    (func $method (param $self i32) (param $arg i32) (result i32)
      (call $from_long ${multiply}))
    ;; Py_mod_exec: fails (-1) when the module was initialised before.
    (func $exec (param $module i32) (result i32)
      (if (i32.load offset=100 (global.get $base)) (then (return (i32.const -1))))
      (i32.store offset=100 (global.get $base) (i32.const 1))
      (i32.const ${spec.failInit ? -1 : 0}))
    (func (export "PyInit_${module}") (result i32)
      ;; PyModuleDef: m_name, m_size = 0, m_methods, m_slots
      (i32.store offset=20 (global.get $base) (i32.add (global.get $base) (i32.const 112)))
      (i32.store offset=32 (global.get $base) (i32.add (global.get $base) (i32.const 52)))
      (i32.store offset=36 (global.get $base) (i32.add (global.get $base) (i32.const 84)))
      ;; PyMethodDef: ml_name, ml_meth, ml_flags = METH_O
      (i32.store offset=52 (global.get $base) (i32.add (global.get $base) (i32.const 144)))
      (i32.store offset=56 (global.get $base) (global.get $table))
      (i32.store offset=60 (global.get $base) (i32.const 8))
      ;; PyModuleDef_Slot: {Py_mod_exec, exec}
      (i32.store offset=84 (global.get $base) (i32.const 2))
      (i32.store offset=88 (global.get $base) (i32.add (global.get $table) (i32.const 1)))
      (call $def_init (global.get $base))))`;
  return sideModule(wat, data.length, 2, multiplyFrom ? [multiplyFrom] : []);
}

/** A shared library exporting `faas_multiply(a, b)`. */
export function sharedLibrary(): Uint8Array {
  return sideModule(
    `(module
      (import "env" "memory" (memory 0))
      (func (export "faas_multiply") (param i32 i32) (result i32)
        (i32.mul (local.get 0) (local.get 1))))`,
    0,
    0,
    [],
  );
}

/** This Pyodide's wheel tags for compiled packages. */
export const NATIVE_TAGS = "cp314-cp314-pyemscripten_2026_0_wasm32";
/** The file name suffix of an extension module for this Pyodide. */
export const EXT_SUFFIX = ".cpython-314-wasm32-emscripten.so";

/**
 * A folder of wheels: `fastmath` (compiled: `fastmath.double(x)`), `calc`
 * (pure Python, needs fastmath: `calc.quadruple(x)`), and `deep` and
 * `nested` (packages whose compiled submodule their `__init__` does not
 * import: `deep._speed.triple(x)`).
 */
export function nativePackagesDir(): string {
  const dir = Deno.makeTempDirSync({ prefix: "faas-native-wheels-" });
  writeWheel(dir, {
    name: "fastmath",
    version: "1.0",
    tags: NATIVE_TAGS,
    files: {
      [`fastmath${EXT_SUFFIX}`]: extensionModule({ module: "fastmath", fn: "double", factor: 2 }),
    },
  });
  for (const name of ["deep", "nested"]) {
    writeWheel(dir, {
      name,
      version: "1.0",
      tags: NATIVE_TAGS,
      files: {
        [`${name}/__init__.py`]: "",
        [`${name}/_speed${EXT_SUFFIX}`]: extensionModule({
          module: "_speed",
          fn: "triple",
          factor: 3,
        }),
      },
    });
  }
  writeWheel(dir, {
    name: "calc",
    version: "1.0",
    requires: ["fastmath>=1.0"],
    files: {
      "calc/__init__.py": "import fastmath\n\ndef quadruple(x):\n" +
        "    return fastmath.double(fastmath.double(x))\n",
    },
  });
  return dir;
}

/**
 * Pyodide's distribution layout: a lock file with a shared library
 * (`libfaasmul`, a zip for /usr/lib) and a compiled wheel needing it
 * (`scaled.triple(x)`), with their SHA-256 sums.
 */
export async function nativeDistributionDir(): Promise<string> {
  const dir = Deno.makeTempDirSync({ prefix: "faas-native-dist-" });
  Deno.writeFileSync(`${dir}/libfaasmul-1.0.zip`, zipSync({ "libfaasmul.so": sharedLibrary() }));
  const wheel = writeWheel(dir, {
    name: "scaled",
    version: "2.0",
    tags: NATIVE_TAGS,
    files: {
      [`scaled${EXT_SUFFIX}`]: extensionModule({
        module: "scaled",
        fn: "triple",
        factor: 3,
        multiplyFrom: "libfaasmul.so",
      }),
    },
  });
  const sha = async (file: string) =>
    [...new Uint8Array(await crypto.subtle.digest("SHA-256", Deno.readFileSync(`${dir}/${file}`)))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
  const lock = {
    info: { python: "3.14.2", platform: "emscripten_5_0_3", arch: "wasm32", abi_version: "2026_0" },
    packages: {
      libfaasmul: {
        name: "libfaasmul",
        version: "1.0",
        file_name: "libfaasmul-1.0.zip",
        install_dir: "dynlib",
        package_type: "shared_library",
        depends: [],
        sha256: await sha("libfaasmul-1.0.zip"),
      },
      scaled: {
        name: "scaled",
        version: "2.0",
        file_name: wheel,
        install_dir: "site",
        package_type: "package",
        depends: ["libfaasmul"],
        sha256: await sha(wheel),
      },
    },
  };
  Deno.writeTextFileSync(`${dir}/pyodide-lock.json`, JSON.stringify(lock, null, 1));
  return dir;
}
