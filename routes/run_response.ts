/** Shapes a finished run into the `/run_code` response body. */
import type { RunResult } from "../sandbox/host.ts";
import type { Placement, PoolCounts } from "../sandbox/pool.ts";
import type { Language } from "../protocol/host_messages.ts";
import type { z } from "zod";
import type { runResponseSchema } from "./schemas.ts";
import type { RunRequest, ScheduledResult } from "../scheduler/scheduler.ts";

const START = "__COZE_RETURN_VAL_START__";
const END = "__COZE_RETURN_VAL_END__";

/** The response body of a run. */
export type RunResponse = z.infer<typeof runResponseSchema>;

/** Where `ret_val` came from when the code set no value itself. */
export type ReturnSource = "marker" | "line";

/**
 * Applies the compatibility rules for `ret_val` (documented in docs/api.md):
 * - every `__COZE_RETURN_VAL_START__`/`__COZE_RETURN_VAL_END__` block is cut
 *   out of stdout; without an explicit value, the last block's content is
 *   `ret_val`;
 * - else, without an explicit value, JS/TS take the last non-empty stdout
 *   line that parses as JSON as `ret_val` and cut that line out of stdout
 *   (coze-loop's `return_val` prints its value with `console.log`); Python
 *   takes a JSON object on that line and leaves stdout as it is.
 * An explicit value (a return, Python's last expression) always wins.
 */
export function extractReturnValue(
  stdout: string,
  retVal: string,
  retValSet: boolean,
  language: Language = "python",
): { stdout: string; retVal: string; from?: ReturnSource } {
  let content: string | undefined;
  let rest = "";
  let at = 0;
  for (;;) {
    const start = findMarkerLine(stdout, START, at);
    if (start === -1) break;
    const contentStart = start + START.length + 1;
    const end = findMarkerLine(stdout, END, contentStart);
    if (end === -1) break;
    rest += stdout.slice(at, start);
    content = stdout.slice(contentStart, Math.max(contentStart, end - 1));
    const after = stdout.indexOf("\n", end);
    at = after === -1 ? stdout.length : after + 1;
  }
  if (content !== undefined) {
    const cut = rest + stdout.slice(at);
    return retValSet ? { stdout: cut, retVal } : { stdout: cut, retVal: content, from: "marker" };
  }
  if (retValSet) return { stdout, retVal };
  const line = lastLine(stdout);
  if (!line) return { stdout, retVal };
  const text = line.text.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { stdout, retVal };
  }
  if (language !== "python") {
    return {
      stdout: stdout.slice(0, line.start) + stdout.slice(line.end),
      retVal: text,
      from: "line",
    };
  }
  const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
  return isObject ? { stdout, retVal: text, from: "line" } : { stdout, retVal };
}

/** The last line of `text` holding more than whitespace, with its span (newline included). */
function lastLine(text: string): { text: string; start: number; end: number } | undefined {
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf("\n", end - 2) + 1;
    const lineEnd = text[end - 1] === "\n" ? end - 1 : end;
    const line = text.slice(start, lineEnd);
    if (line.trim() !== "") return { text: line, start, end };
    end = start;
  }
  return undefined;
}

/** Index of a line consisting of `marker` at or after `from`, or -1. */
function findMarkerLine(text: string, marker: string, from: number): number {
  let at = text.indexOf(marker, from);
  while (at !== -1) {
    const lineStart = at === 0 || text[at - 1] === "\n";
    const next = text[at + marker.length];
    const lineEnd = next === undefined || next === "\n" || next === "\r";
    if (lineStart && lineEnd) return at;
    at = text.indexOf(marker, at + 1);
  }
  return -1;
}

/** Everything the response needs besides the run's result. */
export interface ResponseContext {
  taskId: string;
  language: Language;
  queueMs: number;
  timeoutMs: number;
  timeoutClamped: boolean;
  /** How the instance was found for the run. */
  instanceSource: Placement["via"];
  pool: PoolCounts;
  /** Request fields the service does not know (accepted, and ignored). */
  ignoredFields: string[];
  /**
   * Keep stdout and stderr as the program wrote them: no `ret_val` taken
   * from stdout, no reason appended to stderr (it stays in `error`).
   */
  verbatimOutput?: boolean;
}

/**
 * The returned value as JSON: what the code returned when it was
 * serializable; for a value taken from stdout, that text if it is JSON.
 */
function returnedJson(result: RunResult, retVal: string, from?: ReturnSource): unknown {
  const text = from ? retVal : result.retJson;
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * stderr with the reason a run failed appended, when the service knows one
 * the program did not print: clients of the coze-loop contract show stderr
 * and nothing else of a failed run.
 */
function stderrWithReason(result: RunResult): string {
  const reason = result.error ??
    (result.status === "error" && result.stderr.trim() === ""
      ? `Process exited with code ${result.exitCode}`
      : undefined);
  if (!reason) return result.stderr;
  const separator = result.stderr === "" || result.stderr.endsWith("\n") ? "" : "\n";
  return `${result.stderr}${separator}${reason}\n`;
}

/** Builds the response body. */
export function toRunResponse(result: RunResult, ctx: ResponseContext): RunResponse {
  const { stdout, retVal, from } = ctx.verbatimOutput
    ? { stdout: result.stdout, retVal: result.retVal, from: undefined }
    : extractReturnValue(result.stdout, result.retVal, result.retValSet, ctx.language);
  const retJson = returnedJson(result, retVal, from);
  const body: RunResponse = {
    output: {
      stdout,
      stderr: ctx.verbatimOutput ? result.stderr : stderrWithReason(result),
      ret_val: retVal,
      ...(retJson !== undefined && { ret_json: retJson }),
    },
    metadata: {
      task_id: ctx.taskId,
      instance_id: result.instanceId,
      instance_source: ctx.instanceSource,
      language: ctx.language,
      status: result.status,
      // coze-loop's client decodes this as an int64.
      duration: Math.round(result.durationMs),
      duration_ms: round(result.durationMs),
      queue_ms: round(ctx.queueMs),
      exit_code: result.exitCode,
      truncated: result.truncated,
      timeout_ms: ctx.timeoutMs,
      timeout_clamped: ctx.timeoutClamped,
      pool_stats: {
        totalInstances: ctx.pool.total,
        idleInstances: ctx.pool.idle,
        activeInstances: ctx.pool.busy,
      },
      ignored_fields: ctx.ignoredFields,
      ...(typeof result.cpuMs === "number" && { cpu_ms: round(result.cpuMs) }),
      ...(typeof result.memoryBytes === "number" && { memory_peak_bytes: result.memoryBytes }),
      ...(result.status === "error" && result.exception && {
        exception: {
          type: String(result.exception.type),
          message: String(result.exception.message),
          ...(result.exception.compile === true && { compile: true }),
        },
      }),
    },
  };
  if (result.files) {
    body.files = result.files.map((f) => ({
      name: f.name,
      size: f.size,
      content_base64: f.content,
    }));
    body.metadata.files_truncated = result.filesOmitted !== undefined;
    if (result.filesOmitted) body.metadata.files_omitted = result.filesOmitted;
  }
  if (result.error) body.error = result.error;
  return body;
}

/** A run as it was asked for: what the response repeats of the request. */
export interface AskedRun {
  request: Pick<RunRequest, "language" | "timeoutMs">;
  timeoutClamped: boolean;
  ignoredFields: string[];
  /**
   * Set for a run asked through another protocol's API (a Judge0
   * submission): its clients compare the program's own output, so it is
   * kept verbatim.
   */
  client?: { protocol: string };
}

/**
 * The response body of a scheduled run: the one builder behind
 * `/run_code`'s answers and jobs' results.
 */
export function scheduledResponse(
  asked: AskedRun,
  scheduled: ScheduledResult,
  pool: PoolCounts,
): RunResponse {
  return toRunResponse(scheduled.result, {
    taskId: scheduled.taskId,
    language: asked.request.language,
    queueMs: scheduled.queueMs,
    timeoutMs: asked.request.timeoutMs,
    timeoutClamped: asked.timeoutClamped,
    instanceSource: scheduled.via,
    pool,
    ignoredFields: asked.ignoredFields,
    verbatimOutput: asked.client !== undefined,
  });
}
