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

  // --- UTF-8 -------------------------------------------------------------
  function encodeUtf8(text) {
    const s = StringCtor(text);
    const out = new Uint8(s.length * 3);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else {
          c = 0xfffd;
        }
      }
      if (c < 0x80) out[n++] = c;
      else if (c < 0x800) { out[n++] = 0xc0 | (c >> 6); out[n++] = 0x80 | (c & 63); }
      else if (c < 0x10000) {
        out[n++] = 0xe0 | (c >> 12); out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xf0 | (c >> 18); out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63); out[n++] = 0x80 | (c & 63);
      }
    }
    return out.slice(0, n);
  }

  // Decodes bytes[0..end); returns [text, index of an incomplete tail].
  function decodeUtf8(bytes, fatal, final) {
    let text = "";
    let chunk = [];
    let i = 0;
    const bad = () => {
      if (fatal) throw new TypeErrorCtor("The encoded data was not valid UTF-8");
      chunk.push(0xfffd);
    };
    while (i < bytes.length) {
      const b = bytes[i];
      let need = 0, c = 0, lower = 0x80;
      if (b < 0x80) { chunk.push(b); i++; }
      else {
        if (b >= 0xc2 && b <= 0xdf) { need = 1; c = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { need = 2; c = b & 0x0f; lower = b === 0xe0 ? 0xa0 : 0x80; }
        else if (b >= 0xf0 && b <= 0xf4) { need = 3; c = b & 0x07; lower = b === 0xf0 ? 0x90 : 0x80; }
        else { bad(); i++; need = -1; }
        if (need > 0) {
          let upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
          let j = 1;
          for (; j <= need; j++) {
            if (i + j >= bytes.length) break;
            const x = bytes[i + j];
            if (x < lower || x > upper) break;
            lower = 0x80; upper = 0xbf;
            c = (c << 6) | (x & 0x3f);
          }
          if (j > need) {
            if (c > 0xffff) { c -= 0x10000; chunk.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)); }
            else chunk.push(c);
            i += need + 1;
          } else if (i + j >= bytes.length && !final) {
            break;
          } else {
            bad();
            i += j;
          }
        }
      }
      if (chunk.length > 4096) { text += StringCtor.fromCharCode.apply(null, chunk); chunk = []; }
    }
    return [text + StringCtor.fromCharCode.apply(null, chunk), i];
  }

  function toBytes(input) {
    if (input === undefined) return new Uint8(0);
    if (input instanceof ArrayBuffer || input instanceof SharedArrayBuffer) return new Uint8(input);
    if (ArrayBuffer.isView(input)) return new Uint8(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeErrorCtor("The provided value is not of type '(ArrayBuffer or ArrayBufferView)'");
  }

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return encodeUtf8(input); }
    encodeInto(source, destination) {
      if (!(destination instanceof Uint8)) throw new TypeErrorCtor("The destination must be a Uint8Array");
      const s = StringCtor(source);
      let read = 0, written = 0;
      for (let i = 0; i < s.length; ) {
        const step = s.codePointAt(i) > 0xffff && s.charCodeAt(i) <= 0xdbff ? 2 : 1;
        const bytes = encodeUtf8(s.slice(i, i + step));
        if (written + bytes.length > destination.length) break;
        destination.set(bytes, written);
        written += bytes.length;
        read += step;
        i += step;
      }
      return { read, written };
    }
  }
  tag(TextEncoder, "TextEncoder");

  class TextDecoder {
    #fatal; #ignoreBOM; #pending = new Uint8(0); #bomSeen = false;
    constructor(label = "utf-8", options = {}) {
      const name = StringCtor(label).trim().toLowerCase();
      if (name !== "utf-8" && name !== "utf8" && name !== "unicode-1-1-utf-8") {
        throw new RangeErrorCtor("The encoding '" + label + "' is not supported; only utf-8 is");
      }
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return "utf-8"; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      const stream = !!(options && options.stream);
      const fresh = toBytes(input);
      let bytes = fresh;
      if (this.#pending.length) {
        bytes = new Uint8(this.#pending.length + fresh.length);
        bytes.set(this.#pending);
        bytes.set(fresh, this.#pending.length);
      }
      let text, used;
      try {
        [text, used] = decodeUtf8(bytes, this.#fatal, !stream);
      } catch (e) {
        this.#pending = new Uint8(0);
        this.#bomSeen = false;
        throw e;
      }
      this.#pending = bytes.slice(used);
      if (!this.#ignoreBOM && !this.#bomSeen && text.length) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#bomSeen = true;
      }
      if (!stream) this.#bomSeen = false;
      return text;
    }
  }
  tag(TextDecoder, "TextDecoder");

  // --- URLSearchParams ---------------------------------------------------
  const HEX = "0123456789ABCDEF";
  function formEncode(text) {
    const bytes = encodeUtf8(text);
    let out = "";
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0x20) out += "+";
      else if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
        b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f) out += StringCtor.fromCharCode(b);
      else out += "%" + HEX[b >> 4] + HEX[b & 15];
    }
    return out;
  }
  function formDecode(text) {
    const bytes = encodeUtf8(text.replace(/\+/g, " "));
    const out = new Uint8(bytes.length);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const h = bytes[i] === 0x25 && i + 2 < bytes.length
        ? parseInt(StringCtor.fromCharCode(bytes[i + 1], bytes[i + 2]), 16) : NaN;
      if (h === h && /^[0-9a-fA-F]{2}$/.test(StringCtor.fromCharCode(bytes[i + 1], bytes[i + 2]))) {
        out[n++] = h; i += 2;
      } else out[n++] = bytes[i];
    }
    return decodeUtf8(out.subarray(0, n), false, true)[0];
  }
  function parseForm(query) {
    const list = [];
    for (const part of StringCtor(query).split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      list.push(eq < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
    }
    return list;
  }

  class URLSearchParams {
    #list = [];
    #onChange;
    constructor(init = "", onChange = undefined) {
      this.#onChange = typeof onChange === "function" ? onChange : undefined;
      if (init instanceof URLSearchParams) this.#list = init.#list.map(([k, v]) => [k, v]);
      else if (init !== null && typeof init === "object" && typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeErrorCtor("Each query pair must be an iterable [name, value] tuple");
          this.#list.push([StringCtor(p[0]), StringCtor(p[1])]);
        }
      } else if (init !== null && typeof init === "object") {
        for (const k of Object.keys(init)) this.#list.push([k, StringCtor(init[k])]);
      } else {
        const s = StringCtor(init);
        this.#list = parseForm(s.startsWith("?") ? s.slice(1) : s);
      }
    }
    #changed() { if (this.#onChange) this.#onChange(this.toString()); }
    _replace(query) { this.#list = parseForm(query); }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([StringCtor(name), StringCtor(value)]); this.#changed(); }
    delete(name, value) {
      const n = StringCtor(name), v = value === undefined ? undefined : StringCtor(value);
      this.#list = this.#list.filter(([k, x]) => !(k === n && (v === undefined || x === v)));
      this.#changed();
    }
    get(name) { const n = StringCtor(name); const e = this.#list.find(([k]) => k === n); return e ? e[1] : null; }
    getAll(name) { const n = StringCtor(name); return this.#list.filter(([k]) => k === n).map(([, v]) => v); }
    has(name, value) {
      const n = StringCtor(name), v = value === undefined ? undefined : StringCtor(value);
      return this.#list.some(([k, x]) => k === n && (v === undefined || x === v));
    }
    set(name, value) {
      const n = StringCtor(name), v = StringCtor(value);
      const i = this.#list.findIndex(([k]) => k === n);
      if (i < 0) this.#list.push([n, v]);
      else this.#list = this.#list.filter(([k], j) => j <= i || k !== n).map((e, j) => j === i ? [n, v] : e);
      this.#changed();
    }
    sort() {
      this.#list = this.#list.map((e, i) => [e, i])
        .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([e]) => e);
      this.#changed();
    }
    forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
    *entries() { for (const [k, v] of this.#list) yield [k, v]; }
    *keys() { for (const [k] of this.#list) yield k; }
    *values() { for (const [, v] of this.#list) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
  }
  tag(URLSearchParams, "URLSearchParams");

  // --- URL -----------------------------------------------------------------
  // The host's parser, called with strings only; null when the input is not a URL.
  function parseUrl(input, base, part, value) {
    let json;
    try {
      json = hostParseUrl(input, base, part, value);
    } catch {
      throw new RangeErrorCtor("Maximum call stack size exceeded");
    }
    return typeof json === "string" ? parse(json) : null;
  }

  class URL {
    #parts;
    #params;
    constructor(url, base = undefined) {
      const parts = parseUrl(StringCtor(url), base === undefined ? undefined : StringCtor(base));
      if (!parts) throw new TypeErrorCtor("Invalid URL: '" + StringCtor(url) + "'");
      this.#parts = parts;
    }
    static canParse(url, base = undefined) {
      return parseUrl(StringCtor(url), base === undefined ? undefined : StringCtor(base)) !== null;
    }
    static parse(url, base = undefined) {
      try { return new URL(url, base); } catch { return null; }
    }
    #set(part, value) {
      const parts = parseUrl(this.#parts.href, undefined, part, StringCtor(value));
      if (!parts) {
        if (part === "href") throw new TypeErrorCtor("Invalid URL: '" + StringCtor(value) + "'");
        return;
      }
      this.#parts = parts;
      if (this.#params) this.#params._replace(parts.search.slice(1));
    }
    get searchParams() {
      if (!this.#params) {
        this.#params = new URLSearchParams(this.#parts.search, (query) => {
          const parts = parseUrl(this.#parts.href, undefined, "search", query);
          if (parts) this.#parts = parts;
        });
      }
      return this.#params;
    }
    get href() { return this.#parts.href; }
    set href(v) { this.#set("href", v); }
    get origin() { return this.#parts.origin; }
    get protocol() { return this.#parts.protocol; }
    set protocol(v) { this.#set("protocol", v); }
    get username() { return this.#parts.username; }
    set username(v) { this.#set("username", v); }
    get password() { return this.#parts.password; }
    set password(v) { this.#set("password", v); }
    get host() { return this.#parts.host; }
    set host(v) { this.#set("host", v); }
    get hostname() { return this.#parts.hostname; }
    set hostname(v) { this.#set("hostname", v); }
    get port() { return this.#parts.port; }
    set port(v) { this.#set("port", v); }
    get pathname() { return this.#parts.pathname; }
    set pathname(v) { this.#set("pathname", v); }
    get search() { return this.#parts.search; }
    set search(v) { this.#set("search", v); }
    get hash() { return this.#parts.hash; }
    set hash(v) { this.#set("hash", v); }
    toString() { return this.#parts.href; }
    toJSON() { return this.#parts.href; }
  }
  tag(URL, "URL");

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

/** The URL components the run's `URL` reads, as the host's parser gives them. */
const URL_PARTS = [
  "href",
  "origin",
  "protocol",
  "username",
  "password",
  "host",
  "hostname",
  "port",
  "pathname",
  "search",
  "hash",
] as const;
const SETTABLE = new Set<unknown>(URL_PARTS.filter((p) => p !== "origin"));

/**
 * The host side of the run's `URL`: parses `input` (against `base`), then
 * sets `part` to `value` if given, and returns the components as JSON, or
 * null when anything is not a URL. Takes only strings, never throws, so
 * nothing of the worker's realm reaches the run.
 */
export function parseUrlParts(
  input: unknown,
  base?: unknown,
  part?: unknown,
  value?: unknown,
): string | null {
  try {
    if (typeof input !== "string" || (base !== undefined && typeof base !== "string")) return null;
    const url = base === undefined ? new URL(input) : new URL(input, base);
    if (part !== undefined) {
      if (!SETTABLE.has(part) || typeof value !== "string") return null;
      (url as unknown as Record<string, string>)[part as string] = value;
    }
    const parts: Record<string, string> = {};
    for (const p of URL_PARTS) parts[p] = url[p];
    return JSON.stringify(parts);
  } catch {
    return null;
  }
}

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
