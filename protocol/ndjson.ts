/**
 * Newline-delimited JSON framing for the server–host socket. Reads and
 * writes go straight to the connection rather than through web streams,
 * which costs a fraction of a millisecond less per message.
 */

const encoder = new TextEncoder();

/** Yields each line read from `conn`, without its newline, until EOF. */
export async function* readLines(conn: Deno.Conn): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(256 * 1024);
  let pending = "";
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    pending += decoder.decode(buf.subarray(0, n), { stream: true });
    let start = 0;
    let end: number;
    while ((end = pending.indexOf("\n", start)) !== -1) {
      yield pending.slice(start, end);
      start = end + 1;
    }
    pending = start === 0 ? pending : pending.slice(start);
  }
}

/**
 * Writes JSON messages one per line. Messages sent in the same tick go out
 * as one write, which keeps syscalls down under load.
 */
export class LineWriter {
  #conn: Deno.Conn;
  #pending: string[] = [];
  #flushing = false;
  #failed = false;
  #onError: (err: unknown) => void;

  /** @param onError called once writing fails (the peer went away). */
  constructor(conn: Deno.Conn, onError: (err: unknown) => void) {
    this.#conn = conn;
    this.#onError = onError;
  }

  /** Queues one message. */
  send(message: unknown): void {
    if (this.#failed) return;
    this.#pending.push(JSON.stringify(message));
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const bytes = encoder.encode(this.#pending.join("\n") + "\n");
        this.#pending = [];
        for (let off = 0; off < bytes.length;) {
          off += await this.#conn.write(bytes.subarray(off));
        }
      }
    } catch (err) {
      this.#failed = true;
      this.#onError(err);
    } finally {
      this.#flushing = false;
    }
  }
}
