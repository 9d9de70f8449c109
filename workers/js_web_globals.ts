/**
 * Source of the Web APIs a JS run gets besides the language's own
 * intrinsics: `TextEncoder`, `TextDecoder`, `URL`, `URLSearchParams`,
 * `structuredClone` and `DOMException`.
 *
 * Everything is built inside the run's own context, from that context's
 * intrinsics, so every object, prototype and error these APIs hand out
 * belongs to the run's realm. Only URL parsing calls out, through one host
 * function that takes and returns strings and never throws; a failure in it
 * (a stack overflow at the call, say) is turned into an error of the run's
 * realm before user code sees it.
 *
 * Evaluates to `installWeb(parseUrl)`; see {@linkcode parseUrlParts}.
 */
import { JS_WEB_TEXT_SOURCE } from "./js_web_text.ts";
import { JS_WEB_URL_SOURCE } from "./js_web_url.ts";
export { parseUrlParts } from "./js_web_url.ts";

export const JS_WEB_GLOBALS_FILENAME = "faas:web";

/** The source text. */
export const JS_WEB_GLOBALS = String.raw`"use strict";
(function installWeb(hostParseUrl) {
  const g = globalThis;
  const NAMES = ["DOMException", "TextEncoder", "TextDecoder", "URL", "URLSearchParams",
    "structuredClone"];
  // Built on first use: most runs touch none of these, and every run gets a
  // fresh context, so defining them all up front would cost every run.
  let built;
  const materialize = () => {
    if (!built) {
      built = build();
      for (const name of NAMES) {
        Object.defineProperty(g, name, { value: built[name], writable: true, configurable: true, enumerable: false });
      }
    }
    return built;
  };
  for (const name of NAMES) {
    Object.defineProperty(g, name, {
      configurable: true,
      enumerable: false,
      get() { return materialize()[name]; },
      set(value) {
        materialize();
        Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }

  function build() {
  const StringCtor = String;
  const TypeErrorCtor = TypeError;
  const RangeErrorCtor = RangeError;
  const Uint8 = Uint8Array;
  const parse = JSON.parse;
  const define = (obj, name, value) =>
    Object.defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (cls, name) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });

  class DOMException extends Error {
    #name;
    constructor(message = "", name = "Error") {
      super(StringCtor(message));
      this.#name = StringCtor(name);
    }
    get name() { return this.#name; }
    get code() { return DOM_CODES[this.#name] || 0; }
  }
  const DOM_CODES = { IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
    SyntaxError: 12, InvalidAccessError: 15, TypeMismatchError: 17, AbortError: 20, DataCloneError: 25 };
  tag(DOMException, "DOMException");

` +
  JS_WEB_TEXT_SOURCE + JS_WEB_URL_SOURCE + String.raw`
  // --- structuredClone -----------------------------------------------------
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array,
    Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  if (typeof Float16Array === "function") TYPED.push(Float16Array);
  function cannotClone(what) {
    return new DOMException(what + " could not be cloned", "DataCloneError");
  }
  function clone(value, seen) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) {
      if (typeof value === "symbol") throw cannotClone(StringCtor(value));
      return value;
    }
    if (typeof value === "function") throw cannotClone("function " + (value.name || "(anonymous)"));
    if (seen.has(value)) return seen.get(value);
    let out;
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      out = new Array(value.length);
      seen.set(value, out);
      for (const k of Object.keys(value)) out[k] = clone(value[k], seen);
      return out;
    }
    if (value instanceof Date) out = new Date(value.getTime());
    else if (value instanceof RegExp) out = new RegExp(value.source, value.flags);
    else if (value instanceof Boolean || value instanceof Number || value instanceof String ||
      value instanceof BigInt) out = Object(value.valueOf());
    else if (value instanceof ArrayBuffer) out = value.slice(0);
    else if (value instanceof DataView) {
      out = new DataView(clone(value.buffer, seen), value.byteOffset, value.byteLength);
    } else if (ArrayBuffer.isView(value)) {
      const Ctor = TYPED.find((T) => value instanceof T);
      if (!Ctor) throw cannotClone("value");
      out = new Ctor(clone(value.buffer, seen), value.byteOffset, value.length);
    } else if (value instanceof Map) {
      out = new Map();
      seen.set(value, out);
      for (const [k, v] of value) out.set(clone(k, seen), clone(v, seen));
      return out;
    } else if (value instanceof Set) {
      out = new Set();
      seen.set(value, out);
      for (const v of value) out.add(clone(v, seen));
      return out;
    } else if (value instanceof Error) {
      const Ctor = ERRORS[value.name] || Error;
      out = new Ctor(StringCtor(value.message));
      if (typeof value.stack === "string") define(out, "stack", value.stack);
      if ("cause" in value) define(out, "cause", clone(value.cause, seen));
    } else if (proto === Object.prototype || proto === null) {
      out = {};
      seen.set(value, out);
      for (const k of Object.keys(value)) out[k] = clone(value[k], seen);
      return out;
    } else {
      throw cannotClone(Object.prototype.toString.call(value));
    }
    seen.set(value, out);
    return out;
  }
  function structuredClone(value, options = undefined) {
    if (arguments.length === 0) throw new TypeErrorCtor("structuredClone requires a value");
    if (options && options.transfer && options.transfer.length) {
      throw new DOMException("Transferring is not supported", "DataCloneError");
    }
    return clone(value, new Map());
  }

  return { DOMException, TextEncoder, TextDecoder, URL, URLSearchParams, structuredClone };
  }
})`;

/**
 * Every global a JS/TS run gets beyond the language's own (ECMAScript and
 * `Intl`): these Web APIs and what the prelude (js_prelude.ts) installs.
 * Listed by `GET /runtimes`; a test checks each is there.
 */
export const JS_RUN_GLOBALS: readonly string[] = [
  "console",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "setImmediate",
  "queueMicrotask",
  "performance",
  "crypto",
  "atob",
  "btoa",
  "URL",
  "URLSearchParams",
  "TextEncoder",
  "TextDecoder",
  "structuredClone",
  "DOMException",
  "INPUT",
  "STDIN",
  "return_val",
  "process",
  "Deno",
];
