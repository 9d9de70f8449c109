/**
 * Cuts a job's result to a number of bytes before it is stored, so a job
 * printing megabytes cannot fill the store. Only the run's own text is cut
 * (stdout, stderr, ret_val, shared out so short ones stay whole) and returned
 * files are dropped, named in `metadata.files_omitted`; the rest
 * of the `/run_code` body stays as it was, with `metadata.truncated` set.
 */
import { type FinishFields, utf8Length } from "./types.ts";

/** The texts a run body may be cut in, in the order of `output`. */
const TEXTS = ["stdout", "stderr", "ret_val"] as const;

/** A `/run_code` body, as far as cutting it goes. */
interface RunBodyLike {
  output: Record<string, unknown>;
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

function isRunBody(value: unknown): value is RunBodyLike {
  const v = value as Partial<RunBodyLike> | null;
  return typeof v === "object" && v !== null && typeof v.output === "object" &&
    v.output !== null && typeof v.metadata === "object" && v.metadata !== null;
}

/** Bytes of `value` as stored: its JSON text in UTF-8. */
export function storedBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? "");
}

/** Bytes `text` takes inside a JSON string (escapes counted, quotes not). */
function jsonBytes(text: string): number {
  return utf8Length(JSON.stringify(text)) - 2;
}

/** The longest start of `text` taking at most `max` bytes in JSON. */
function fit(text: string, max: number): string {
  if (jsonBytes(text) <= max) return text;
  // Every character takes at least a byte, so no more than `max` fit.
  let lo = 0;
  let hi = Math.min(text.length, max);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(text.slice(0, mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  // Never half a surrogate pair.
  const last = text.charCodeAt(lo - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? lo - 1 : lo);
}

/**
 * Shares `room` bytes between texts of `sizes` bytes: each gets at most its
 * size, and what the small ones leave goes to the larger ones.
 */
function share(sizes: number[], room: number): number[] {
  const order = sizes.map((size, i) => ({ size, i })).sort((a, b) => a.size - b.size);
  const out = Array<number>(sizes.length).fill(0);
  let left = room;
  order.forEach(({ size, i }, k) => {
    const give = Math.min(size, Math.floor(left / (order.length - k)));
    out[i] = give;
    left -= give;
  });
  return out;
}

/**
 * `result` if its JSON takes at most `maxBytes`; otherwise a cut copy and
 * `cut: true`. A result that is no `/run_code` body is dropped (null) when
 * too large. The cut body may still exceed `maxBytes` by its metadata when
 * `maxBytes` is smaller than that: the metadata is always kept.
 */
export function capResult(result: unknown, maxBytes: number): { result: unknown; cut: boolean } {
  if (storedBytes(result) <= maxBytes) return { result, cut: false };
  if (!isRunBody(result)) return { result: null, cut: true };
  const emptied = Object.fromEntries(TEXTS.map((f) => [f, ""]));
  let skeleton: RunBodyLike = {
    ...result,
    output: { ...result.output, ...emptied },
    metadata: { ...result.metadata, truncated: true },
  };
  // Returned files go whole (named in files_omitted): half a file is of no use.
  if (Array.isArray(result.files) && result.files.length) {
    const names = result.files.map((f) => String((f as { name?: unknown })?.name));
    const before = result.metadata.files_omitted;
    skeleton = {
      ...skeleton,
      files: [],
      metadata: {
        ...skeleton.metadata,
        files_truncated: true,
        files_omitted: [...names, ...(Array.isArray(before) ? before : [])].sort(),
      },
    };
  }
  // The JSON form of the returned value goes when it would take much of the room.
  if (storedBytes(skeleton) > maxBytes / 2 && "ret_json" in skeleton.output) {
    const { ret_json: _dropped, ...output } = skeleton.output;
    skeleton = { ...skeleton, output };
  }
  const texts = TEXTS.map((f) => {
    const text = result.output[f];
    return typeof text === "string" ? text : "";
  });
  const room = Math.max(0, maxBytes - storedBytes(skeleton));
  const shares = share(texts.map(jsonBytes), room);
  const output = { ...skeleton.output };
  TEXTS.forEach((f, i) => {
    if (typeof result.output[f] === "string") output[f] = fit(texts[i], shares[i]);
  });
  return { result: { ...skeleton, output }, cut: true };
}

/** What a stored result may take. */
export interface ResultLimits {
  /** Bytes of one job's result (`FAAS_JOB_MAX_RESULT_BYTES`). */
  maxResultBytes: number;
  /** Bytes of the results of one owner's kept jobs together (`FAAS_JOB_MAX_OWNER_BYTES`). */
  maxOwnerBytes: number;
}

/**
 * What `finish` stores for a done job whose owner's kept jobs hold
 * `ownerBytes` bytes of results: the result, or a cut one with a note naming
 * the limit it was cut to.
 */
export function resultToStore(
  result: unknown,
  limits: ResultLimits,
  ownerBytes: number,
): FinishFields {
  const whole = storedBytes(result);
  const left = Math.max(0, limits.maxOwnerBytes - ownerBytes);
  const max = Math.min(limits.maxResultBytes, left);
  if (whole <= max) return { result };
  const limit = left < limits.maxResultBytes
    ? `the ${left} bytes left of its owner's job storage budget ` +
      `(FAAS_JOB_MAX_OWNER_BYTES, ${limits.maxOwnerBytes} bytes)`
    : `FAAS_JOB_MAX_RESULT_BYTES (${limits.maxResultBytes} bytes)`;
  return {
    result: capResult(result, max).result,
    resultNote: `Result of ${whole} bytes cut to fit ${limit}; metadata.truncated is set`,
  };
}
