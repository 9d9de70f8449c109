/**
 * Part of the run context's Web APIs (see js_web_globals.ts):
 * `URLSearchParams` and `URL` (source text, spliced into `installWeb`'s
 * `build()`), and the host side of `URL` parsing.
 */
export const JS_WEB_URL_SOURCE = String.raw`
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

`;

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
