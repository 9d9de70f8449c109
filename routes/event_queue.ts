/**
 * Server-Sent Events fed by callbacks (a run's output, a job's end) and
 * written in order, until a last event.
 */
import type { SSEMessage, SSEStreamingApi } from "hono/streaming";

/** Events waiting to be written to one stream. */
export class EventQueue {
  #queue: SSEMessage[] = [];
  #wake = () => {};
  #last?: SSEMessage;
  #ended = false;

  /** A chunk of output as a `stdout` or `stderr` event (data: the chunk as a JSON string). */
  output(fd: number, text: string): void {
    this.#queue.push({ event: fd === 2 ? "stderr" : "stdout", data: JSON.stringify(text) });
    this.#wake();
  }

  /** Ends the stream after what is queued, with `last` if given. */
  end(last?: SSEMessage): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#last = last;
    this.#wake();
  }

  /** Writes events as they come until the end (or the client goes away). */
  async drain(stream: SSEStreamingApi): Promise<void> {
    while (!stream.aborted) {
      while (this.#queue.length) await stream.writeSSE(this.#queue.shift()!);
      if (this.#ended) break;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    if (this.#last && !stream.aborted) await stream.writeSSE(this.#last);
  }
}
