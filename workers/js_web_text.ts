/**
 * Part of the run context's Web APIs (see js_web_globals.ts): UTF-8, and
 * `TextEncoder` and `TextDecoder` built on it. Source text, spliced into
 * `installWeb`'s `build()`.
 */
export const JS_WEB_TEXT_SOURCE = String.raw`
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

`;
