/// <reference lib="deno.worker" />
/**
 * Hardens a worker's own realm once its runtime is loaded and before any
 * user code runs. Python code reaches this realm through `import js`, so:
 * - channels that outlive a run or cross instances (the Cache API persists
 *   to disk, BroadcastChannel, storage) are removed;
 * - `close()` and `Deno.exit()` refuse, so a run cannot take the worker down
 *   and leave its host waiting;
 * - the intrinsics are frozen, so a run cannot patch one the harness relies
 *   on (a patched `TextDecoder.prototype.decode` would otherwise corrupt the
 *   next run's output);
 * - the few objects that cannot be frozen, because the runtimes write to
 *   them (the global object, where Deno adds bookkeeping as events fire;
 *   `Error.stackTraceLimit`; `Object.prototype`, since Emscripten assigns
 *   `constructor` on its own objects, which a frozen prototype would make
 *   read-only through inheritance), are put back after each run, so globals
 *   a run leaves behind are gone before the next one.
 */

const REMOVED = [
  "caches",
  "Cache",
  "CacheStorage",
  "BroadcastChannel",
  "localStorage",
  "sessionStorage",
  "Storage",
  "Worker",
];

/** Globals the runtimes add and keep mutating (Pyodide's bootstrap state). */
const RUNTIME_GLOBALS = ["nodeBootstrap"];

/** Objects left unfrozen; their own properties are restored after each run. */
const RESTORED: object[] = [globalThis, Object.prototype, Error, Error.prototype];

/**
 * Removes cross-run channels, disables self-termination and freezes the
 * realm. Returns the function that undoes a run's changes to what could
 * not be frozen; call it after every run.
 */
export function lockDownRealm(): () => void {
  const global = globalThis as unknown as Record<string, unknown>;
  for (const name of REMOVED) delete global[name];
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not available in the sandbox`);
  };
  Object.defineProperty(globalThis, "close", { value: refuse("close()") });
  Object.defineProperty(Deno, "exit", { value: refuse("Deno.exit()") });
  const saved = RESTORED.map((obj) => [obj, snapshot(obj)] as const);
  freezeGlobals(new Set(RUNTIME_GLOBALS), new Set(RESTORED));
  return () => {
    for (const [obj, descriptors] of saved) restore(obj, descriptors);
  };
}

function isRuntimeSymbol(key: PropertyKey): boolean {
  return typeof key === "symbol" && (key.description ?? "").startsWith("Deno.");
}

type Descriptors = Map<PropertyKey, PropertyDescriptor>;

function snapshot(obj: object): Descriptors {
  return new Map(Reflect.ownKeys(obj).map((k) => [k, Object.getOwnPropertyDescriptor(obj, k)!]));
}

function restore(obj: object, saved: Descriptors): void {
  for (const key of Reflect.ownKeys(obj)) {
    // Deno keeps its own bookkeeping in symbol-keyed properties it adds later.
    if (!saved.has(key) && !isRuntimeSymbol(key)) Reflect.deleteProperty(obj, key);
  }
  for (const [key, desc] of saved) {
    const now = Object.getOwnPropertyDescriptor(obj, key);
    if (
      !now || now.value !== desc.value || now.get !== desc.get || now.set !== desc.set ||
      now.writable !== desc.writable || now.enumerable !== desc.enumerable
    ) {
      Object.defineProperty(obj, key, desc);
    }
  }
}

/**
 * Freezes the global object's prototype chain, every global value with
 * its prototype, and one level of members below (so `WebAssembly.Memory`,
 * `Deno.*` classes and the like are covered). Deeper objects belong to the
 * runtimes themselves (Pyodide keeps mutable state there) and are left alone.
 */
function freezeGlobals(skip: Set<string>, unfrozen: Set<object>): void {
  const frozen = new Set<unknown>(unfrozen);
  const freeze = (value: unknown) => {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return;
    if (frozen.has(value)) return;
    frozen.add(value);
    try {
      Object.freeze(value);
      const proto = (value as { prototype?: unknown }).prototype;
      if (proto && typeof proto === "object" && !unfrozen.has(proto)) Object.freeze(proto);
    } catch {
      // Typed arrays with elements cannot be frozen.
    }
  };
  for (const key of Reflect.ownKeys(globalThis)) {
    if (typeof key === "string" && skip.has(key)) continue;
    const desc = Object.getOwnPropertyDescriptor(globalThis, key);
    // Deno defines most web APIs as lazy getters; read them to freeze the class.
    const value = desc && "value" in desc ? desc.value : desc?.get?.call(globalThis);
    if (value === globalThis || value === undefined) continue;
    freeze(value);
    if (value && (typeof value === "object" || typeof value === "function")) {
      for (const member of Reflect.ownKeys(value as object)) {
        const d = Object.getOwnPropertyDescriptor(value as object, member);
        if (d && "value" in d && typeof d.value === "function") freeze(d.value);
      }
    }
  }
  for (let p = Object.getPrototypeOf(globalThis); p; p = Object.getPrototypeOf(p)) freeze(p);
  freeze(Object.getPrototypeOf(function* () {}));
  freeze(Object.getPrototypeOf(async function () {}));
  freeze(Object.getPrototypeOf(Uint8Array));
}
