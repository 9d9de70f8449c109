/** Newline-delimited JSON framing for the server–host socket. */

const encoder = new TextEncoder();

/** Yields each line of a byte stream, without its newline. */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    let end: number;
    while ((end = buffer.indexOf("\n", start)) !== -1) {
      yield buffer.slice(start, end);
      start = end + 1;
    }
    buffer = buffer.slice(start);
  }
}

/**
 * Writes JSON messages one per line. Messages written in the same tick are
 * sent as one write, which keeps syscalls down under load.
 */
export class LineWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending: string[] = [];
  #scheduled = false;
  #onError: (err: unknown) => void;

  /** @param onError called once writing fails (the peer went away). */
  constructor(stream: WritableStream<Uint8Array>, onError: (err: unknown) => void) {
    this.#writer = stream.getWriter();
    this.#onError = onError;
  }

  /** Queues one message. */
  send(message: unknown): void {
    this.#pending.push(JSON.stringify(message));
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    this.#writer.write(encoder.encode(text)).catch(this.#onError);
  }

  /** Closes the stream, ignoring a peer that is already gone. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }
}
