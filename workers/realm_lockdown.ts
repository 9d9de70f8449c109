/// <reference lib="deno.worker" />
/**
 * Hardens a worker's own realm once its runtime is loaded and before any
 * user code runs. Python code reaches this realm through `import js`, and JS
 * code can reach it through stack-trace objects, so the realm holds only a
 * capability allowlist:
 * - the language's own globals (what a fresh V8 context has, minus `eval`:
 *   language_globals.ts), and the few web APIs a run or the runtimes use (timers, text
 *   coding, URLs, crypto, events, streams, message ports);
 * - `Deno` and `navigator` as small frozen objects with only harmless
 *   members;
 * - nothing else: no `process` (its `getBuiltinModule` reaches `node:v8` and
 *   `node:worker_threads`), `require`, `Worker`, `caches`, `BroadcastChannel`,
 *   Web Locks, `fetch` or `WebSocket`. What is not on the list is deleted,
 *   so a global Deno adds in a later version stays out until it is listed.
 *
 * Compiling code from strings (`eval`, `Function`) is refused in this realm
 * by the host's V8 flags, so no `import()` can be written here either.
 *
 * `close()` and `Deno.exit()` refuse, so a run cannot take the worker down
 * and leave its host waiting. The intrinsics are frozen, so a run cannot
 * patch one the worker relies on. The few objects that cannot be frozen,
 * because the runtimes write to them (the global object, where Deno adds
 * bookkeeping as events fire; `Error.stackTraceLimit`; `Object.prototype`,
 * since Emscripten assigns `constructor` on its own objects), are put back
 * after each run.
 */
import { LANGUAGE_GLOBALS } from "./language_globals.ts";

/** Web APIs kept in the realm: none of them reaches beyond the worker. */
const WEB_GLOBALS = [
  "self",
  "name",
  "location",
  "onmessage",
  "onmessageerror",
  "onerror",
  "onunhandledrejection",
  "postMessage",
  "close",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "clearImmediate",
  "structuredClone",
  "reportError",
  "atob",
  "btoa",
  "TextEncoder",
  "TextDecoder",
  "TextEncoderStream",
  "TextDecoderStream",
  "URL",
  "URLSearchParams",
  "URLPattern",
  "crypto",
  "Crypto",
  "SubtleCrypto",
  "CryptoKey",
  "performance",
  "Performance",
  "PerformanceEntry",
  "PerformanceMark",
  "PerformanceMeasure",
  "DOMException",
  "Event",
  "EventTarget",
  "CustomEvent",
  "ErrorEvent",
  "MessageEvent",
  "PromiseRejectionEvent",
  "CloseEvent",
  "ProgressEvent",
  "AbortController",
  "AbortSignal",
  "MessageChannel",
  "MessagePort",
  "Blob",
  "File",
  "ReadableStream",
  "ReadableStreamDefaultReader",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableByteStreamController",
  "ReadableStreamDefaultController",
  "WritableStream",
  "WritableStreamDefaultWriter",
  "WritableStreamDefaultController",
  "TransformStream",
  "TransformStreamDefaultController",
  "ByteLengthQueuingStrategy",
  "CountQueuingStrategy",
  "CompressionStream",
  "DecompressionStream",
  "DedicatedWorkerGlobalScope",
  "WorkerGlobalScope",
  "WorkerLocation",
  "WorkerNavigator",
  "Deno",
  "navigator",
];

/** Language globals left out although a vm context has them. */
const LANGUAGE_EXCLUDED = new Set(["eval"]);

/** The members of `Deno` kept: plain data and pure functions. */
const DENO_MEMBERS = ["version", "build", "errors", "inspect", "noColor"];

/** The members of `navigator` kept (the runtimes read them). */
const NAVIGATOR_MEMBERS = ["userAgent", "language", "languages", "hardwareConcurrency", "platform"];

/**
 * Names pinned to `undefined` for good (non-configurable), so that no code
 * in the realm can define them again: Pyodide's Node support assigns
 * `globalThis.require` when some of its loaders run, and a run could assign
 * any of them itself for its own code to find.
 */
const PINNED = [
  "process",
  "require",
  "module",
  "Buffer",
  "global",
  "Worker",
  "SharedWorker",
  "caches",
  "CacheStorage",
  "BroadcastChannel",
  "fetch",
  "WebSocket",
  "eval",
  "importScripts",
];

/** Globals the runtimes add and keep mutating (Pyodide's bootstrap state). */
const RUNTIME_GLOBALS = ["nodeBootstrap"];

/** Everything a locked-down realm may hold as a global, by name. */
export function allowedGlobals(): Set<string> {
  const language = LANGUAGE_GLOBALS.filter((k) => !LANGUAGE_EXCLUDED.has(k));
  return new Set([...language, ...WEB_GLOBALS, ...RUNTIME_GLOBALS]);
}

/**
 * Reduces the realm to its allowlist, disables self-termination and
 * freezes the realm. Returns the function that undoes a run's changes to
 * what could not be frozen; call it after every run, before the result
 * is sent.
 */
export function lockDownRealm(): () => void {
  const global = globalThis as unknown as Record<PropertyKey, unknown>;
  const allowed = allowedGlobals();
  for (const key of Reflect.ownKeys(globalThis)) {
    // Symbol-keyed globals are Deno's own brand bookkeeping.
    if (typeof key === "string" && !allowed.has(key)) {
      if (!Reflect.deleteProperty(globalThis, key)) {
        throw new Error(`Global ${key} could not be removed`);
      }
    }
  }
  const deno = global.Deno as Record<string, unknown>;
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not available in the sandbox`);
  };
  replaceGlobal(
    "Deno",
    Object.freeze({ ...pick(deno, DENO_MEMBERS), exit: refuse("Deno.exit()") }),
  );
  replaceGlobal("navigator", Object.freeze(pick(global.navigator as object, NAVIGATOR_MEMBERS)));
  Object.defineProperty(globalThis, "close", { value: refuse("close()") });
  for (const name of PINNED) {
    Object.defineProperty(globalThis, name, {
      value: undefined,
      writable: false,
      enumerable: false,
      configurable: false,
    });
  }
  const saved = RESTORED.map((obj) => [obj, snapshot(obj)] as const);
  freezeGlobals(new Set(RUNTIME_GLOBALS), new Set(RESTORED));
  return () => {
    for (const [obj, descriptors] of saved) restore(obj, descriptors);
  };
}

/**
 * Objects left unfrozen; their own properties are restored after each run.
 * `Object.prototype` comes first, so what a run planted there is gone
 * before anything else is read.
 */
const RESTORED: object[] = [Object.prototype, globalThis, Error, Error.prototype];

function pick(from: object, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = (from as Record<string, unknown>)[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function replaceGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

function isRuntimeSymbol(key: PropertyKey): boolean {
  return typeof key === "symbol" && (key.description ?? "").startsWith("Deno.");
}

type Descriptors = Map<PropertyKey, PropertyDescriptor>;

function snapshot(obj: object): Descriptors {
  // Null-prototype descriptors: defining them back reads only their own
  // fields, never a getter a run planted on `Object.prototype`.
  return new Map(
    Reflect.ownKeys(obj).map((k) => {
      const desc = Object.getOwnPropertyDescriptor(obj, k)!;
      return [k, Object.setPrototypeOf(desc, null)];
    }),
  );
}

function restore(obj: object, saved: Descriptors): void {
  for (const key of Reflect.ownKeys(obj)) {
    // Deno keeps its own bookkeeping in symbol-keyed properties it adds later.
    if (!saved.has(key) && !isRuntimeSymbol(key) && !Reflect.deleteProperty(obj, key)) {
      // A run made it permanent: this realm cannot be put back.
      throw new Error(`Property ${String(key)} cannot be removed`);
    }
  }
  // Reading `now.get` and friends may look up `Object.prototype`: safe,
  // since it is restored first and the loop above already removed anything
  // a run added to it.
  for (const [key, desc] of saved) {
    const now = Object.getOwnPropertyDescriptor(obj, key);
    if (
      !now || now.value !== desc.value || now.get !== desc.get || now.set !== desc.set ||
      now.writable !== desc.writable || now.enumerable !== desc.enumerable
    ) {
      if (!Reflect.defineProperty(obj, key, desc)) {
        throw new Error(`Property ${String(key)} cannot be restored`);
      }
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
