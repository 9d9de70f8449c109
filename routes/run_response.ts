/** Shapes a finished run into the `/run_code` response body. */
import type { RunResult } from "../sandbox/host.ts";
import type { Placement, PoolCounts } from "../sandbox/pool.ts";
import type { Language } from "../sandbox/protocol.ts";
import type { z } from "zod";
import type { runResponseSchema } from "./schemas.ts";

const START = "__COZE_RETURN_VAL_START__";
const END = "__COZE_RETURN_VAL_END__";

/** The response body of a run. */
export type RunResponse = z.infer<typeof runResponseSchema>;

/**
 * Applies the compatibility rules for `ret_val`: a marker block in stdout
 * wins and is cut out of stdout; otherwise, when the code set no value, a
 * JSON object on the last non-empty stdout line is taken (stdout unchanged).
 */
export function extractReturnValue(
  stdout: string,
  retVal: string,
  retValSet: boolean,
): { stdout: string; retVal: string; from?: "marker" | "line" } {
  const start = findMarkerLine(stdout, START, 0);
  if (start !== -1) {
    const contentStart = start + START.length + 1;
    const end = findMarkerLine(stdout, END, contentStart);
    if (end !== -1) {
      const content = stdout.slice(contentStart, Math.max(contentStart, end - 1));
      const after = stdout.indexOf("\n", end);
      const rest = after === -1 ? "" : stdout.slice(after + 1);
      return { stdout: stdout.slice(0, start) + rest, retVal: content, from: "marker" };
    }
  }
  if (!retValSet) {
    const lines = stdout.split("\n");
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i].trim();
      if (line === "") continue;
      if (line.startsWith("{") && line.endsWith("}")) {
        try {
          const value = JSON.parse(line);
          if (value && typeof value === "object" && !Array.isArray(value)) {
            return { stdout, retVal: line, from: "line" };
          }
        } catch {
          // Not JSON: no implicit return value.
        }
      }
      break;
    }
  }
  return { stdout, retVal };
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
}

/**
 * The returned value as JSON: what the code returned when it was
 * serializable; for a value taken from stdout, that text if it is JSON.
 */
function returnedJson(result: RunResult, retVal: string, from?: "marker" | "line"): unknown {
  const text = from ? retVal : result.retJson;
  if (typeof text !== "string") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Builds the response body. */
export function toRunResponse(result: RunResult, ctx: ResponseContext): RunResponse {
  const { stdout, retVal, from } = extractReturnValue(
    result.stdout,
    result.retVal,
    result.retValSet,
  );
  const retJson = returnedJson(result, retVal, from);
  const body: RunResponse = {
    output: {
      stdout,
      stderr: result.stderr,
      ret_val: retVal,
      ...(retJson !== undefined && { ret_json: retJson }),
    },
    metadata: {
      task_id: ctx.taskId,
      instance_id: result.instanceId,
      instance_source: ctx.instanceSource,
      language: ctx.language,
      status: result.status,
      duration: round(result.durationMs),
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
        },
      }),
    },
  };
  if (result.error) body.error = result.error;
  return body;
}
