/** Byte length of a string once encoded as UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Collects one stream of a run's output up to a byte cap. Past the cap it
 * keeps counting nothing and only remembers that output was cut.
 */
export class OutputBuffer {
  #parts: string[] = [];
  #bytes = 0;
  #cap: number;
  #decoder = new TextDecoder();
  /** True once anything was dropped because of the cap. */
  truncated = false;

  /** @param cap the most UTF-8 bytes this buffer keeps. */
  constructor(cap: number) {
    this.#cap = cap;
  }

  /** Append text, cutting it at the cap. */
  write(text: string): void {
    if (this.truncated || text.length === 0) return;
    const size = utf8Length(text);
    if (this.#bytes + size <= this.#cap) {
      this.#parts.push(text);
      this.#bytes += size;
      return;
    }
    this.#parts.push(cutToBytes(text, this.#cap - this.#bytes));
    this.#bytes = this.#cap;
    this.truncated = true;
  }

  /** Append raw UTF-8 bytes (Pyodide's stdout hands us bytes). */
  writeBytes(bytes: Uint8Array): void {
    this.write(this.#decoder.decode(bytes, { stream: true }));
  }

  /** Everything kept so far. */
  text(): string {
    if (!this.truncated) this.write(this.#decoder.decode());
    return this.#parts.join("");
  }
}

/** The longest prefix of `text` that fits in `limit` UTF-8 bytes. */
export function cutToBytes(text: string, limit: number): string {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < text.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > limit) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}

/** `text` cut to at most `limit` UTF-8 bytes, and whether it was cut. */
export function capText(text: string, limit: number): { text: string; truncated: boolean } {
  // Every UTF-16 unit is at most 3 bytes: short texts need no count.
  if (text.length * 3 <= limit || utf8Length(text) <= limit) return { text, truncated: false };
  return { text: cutToBytes(text, limit), truncated: true };
}

/**
 * The return value's JSON text and exception details, made safe to send:
 * JSON text past `limit` bytes is dropped (a cut JSON text is no JSON) and
 * reported as truncated; exception texts are cut at `limit`.
 */
export function capExtras(
  retJson: unknown,
  excType: unknown,
  excMessage: unknown,
  limit: number,
): { retJson?: string; exception?: { type: string; message: string }; truncated: boolean } {
  let truncated = false;
  const out: { retJson?: string; exception?: { type: string; message: string } } = {};
  if (typeof retJson === "string") {
    if (capText(retJson, limit).truncated) truncated = true;
    else out.retJson = retJson;
  }
  if (typeof excType === "string" && excType) {
    const message = capText(typeof excMessage === "string" ? excMessage : "", limit);
    out.exception = { type: capText(excType, 200).text, message: message.text };
  }
  return { ...out, truncated };
}
