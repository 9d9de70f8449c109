/** Reads Server-Sent Events from a response, each with its arrival time. */

/** One event as received. */
export interface SseEvent {
  event: string;
  data: string;
  /** ms since `started`. */
  at: number;
}

/**
 * Collects the events of `res` until the stream ends, or until `stopAfter`
 * events (then `abort()` is called to hang up).
 */
export async function readEvents(
  res: Response,
  started: number,
  stopAfter?: number,
  abort?: () => void,
): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = block.match(/^event: (.*)$/m)?.[1] ?? "message";
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6))
          .join("\n");
        out.push({ event, data, at: performance.now() - started });
        if (stopAfter !== undefined && out.length >= stopAfter) {
          abort?.();
          return out;
        }
      }
    }
  } catch (err) {
    if (stopAfter === undefined) throw err;
  }
  return out;
}
