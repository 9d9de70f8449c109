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

  #onKept?: (text: string) => void;

  /**
   * @param cap the most UTF-8 bytes this buffer keeps.
   * @param onKept sees every piece of text kept (for streaming), never more than the cap.
   */
  constructor(cap: number, onKept?: (text: string) => void) {
    this.#cap = cap;
    this.#onKept = onKept;
  }

  /** Append text, cutting it at the cap. */
  write(text: string): void {
    if (this.truncated || text.length === 0) return;
    const size = utf8Length(text);
    let kept = text;
    if (this.#bytes + size <= this.#cap) {
      this.#bytes += size;
    } else {
      kept = cutToBytes(text, this.#cap - this.#bytes);
      this.#bytes = this.#cap;
      this.truncated = true;
    }
    this.#parts.push(kept);
    if (kept) this.#onKept?.(kept);
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

/**
 * Sends a run's output in chunks as it is produced: at once when nothing
 * was sent in the last 50 ms, else gathered and sent 50 ms later (or at
 * 8 KiB); `flush()` sends what is left (before the result, and before a
 * Python run sleeps, when no timer can fire).
 */
export class OutputStreamer {
  #pending: { fd: number; text: string }[] = [];
  #size = 0;
  #last = -Infinity;
  #timer?: ReturnType<typeof setTimeout>;
  #send: (fd: number, text: string) => void;

  constructor(send: (fd: number, text: string) => void) {
    this.#send = send;
  }

  /** Gathers `text` of stream `fd`; sends if it is time. */
  push(fd: number, text: string): void {
    const tail = this.#pending.at(-1);
    if (tail && tail.fd === fd) tail.text += text;
    else this.#pending.push({ fd, text });
    this.#size += text.length;
    const since = performance.now() - this.#last;
    if (this.#size >= 8192 || since >= 50) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), 50 - since);
  }

  /** Sends everything gathered. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    for (const { fd, text } of this.#pending) this.#send(fd, text);
    this.#pending = [];
    this.#size = 0;
    this.#last = performance.now();
  }
}
