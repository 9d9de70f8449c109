/**
 * W3C Trace Context (`traceparent`): parsing what a caller sent and
 * formatting what the service answers.
 */

/** A parsed `traceparent`. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Two hex digits; "01" when sampled. */
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The header's trace, or undefined when it is absent or invalid (then a new trace starts). */
export function parseTraceparent(header: string | undefined): TraceParent | undefined {
  const m = header?.trim().toLowerCase().match(TRACEPARENT);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === "ff" || (version === "00" && rest)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** `00-<trace>-<span>-<flags>`. */
export function formatTraceparent(t: TraceParent): string {
  return `00-${t.traceId}-${t.spanId}-${t.flags}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `bytes` random bytes as hex. */
export function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  // Every request makes two of these: a table beats formatting each byte.
  let hex = "";
  for (const x of b) hex += HEX[x];
  return hex;
}
