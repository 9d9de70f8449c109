/** `POST /run_code`: validate, schedule, answer. */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Logger } from "../core/log.ts";
import { BadRequestError, type FieldIssue } from "../core/errors.ts";
import type { TenantSource } from "../config/config.ts";
import { type HeaderReader, namespaced, requestTenant } from "./tenant.ts";
import type { RunRequest, ScheduledResult, Scheduler } from "../scheduler/scheduler.ts";
import { streamSSE } from "hono/streaming";
import { EventQueue } from "./event_queue.ts";
import type { PoolCounts } from "../sandbox/pool.ts";
import { runRequestSchema } from "./run_request.ts";
import { isolationKey, type IsolationMode } from "../core/isolation_key.ts";
import { scheduledResponse } from "./run_response.ts";
import type { RunResult } from "../sandbox/host.ts";
import type { LogFields } from "../core/log.ts";
import type { RequestSpan } from "../tracing/tracer.ts";
import { type AnswerPhases, serverTiming } from "./server_timing.ts";

/** Hono environment of the app: the request id set by its middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    keyId?: string;
    span: RequestSpan;
    /**
     * For a run that outlives its handler (a stream): takes over ending the
     * key's run in progress, returning what to call when the run settles.
     */
    holdRun?: () => () => void;
  };
}

/** What the handler needs. */
export interface RunCodeDeps {
  logger: Logger;
  scheduler: Scheduler;
  /** Instance counts over all pools, for `pool_stats`. */
  poolCounts(): PoolCounts;
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** How runs are keyed to instances. */
  isolation: IsolationMode;
  /** Where a request's tenant comes from (see routes/tenant.ts). */
  tenantSource: TenantSource;
  /** Receives where each answered run's time went (for metrics). */
  onAnswered?(language: RunRequest["language"], phases: AnswerPhases): void;
}

const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

/** The fields `/run_code` reads; any other is reported in `metadata.ignored_fields`. */
const REQUEST_FIELDS: ReadonlySet<string> = new Set(Object.keys(runRequestSchema.shape));

/** Parses a body already read within the size limit. */
export function parseBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = fatalDecoder.decode(bytes);
  } catch {
    throw new BadRequestError("Request body is not valid UTF-8", [
      { field: "body", message: "Must be UTF-8 encoded JSON" },
    ]);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = `Invalid JSON: ${(e as Error).message}`;
    throw new BadRequestError("Request body is not valid JSON", [{ field: "body", message }]);
  }
}

/** Validates a parsed body into a run request. */
export function validate(body: unknown) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError("Request body must be a JSON object", [
      { field: "body", message: "Must be a JSON object" },
    ]);
  }
  const parsed = runRequestSchema.safeParse(body);
  if (!parsed.success) {
    const details: FieldIssue[] = parsed.error.issues.map((issue) => ({
      field: issue.path.join(".") || "body",
      message: issue.message,
    }));
    const fields = [...new Set(details.map((d) => d.field))].join(", ");
    throw new BadRequestError(`Invalid request: check ${fields}`, details);
  }
  return parsed.data;
}

/** A validated run, ready for the scheduler, with what its response needs. */
export interface PreparedRun {
  request: RunRequest;
  /** The caller's input as given (for debug logs). */
  input: unknown;
  timeoutClamped: boolean;
  ignoredFields: string[];
  /** The run's tenant, before any API key's namespace; undefined for none. */
  tenant: string | undefined;
}

/**
 * Validates a parsed body into a run: timeout clamped, input serialized,
 * tenant and isolation key settled. Throws BadRequestError naming the field.
 */
export function prepareRun(
  body: unknown,
  header: HeaderReader,
  keyId: string | undefined,
  deps: Pick<RunCodeDeps, "defaultTimeoutMs" | "maxTimeoutMs" | "isolation" | "tenantSource">,
  field = "",
): PreparedRun {
  let req;
  try {
    req = validate(body);
  } catch (err) {
    if (!field || !(err instanceof BadRequestError)) throw err;
    // Inside a batch: name the entry at fault.
    const details = err.details.map((d) => ({ ...d, field: `${field}.${d.field}` }));
    throw new BadRequestError(
      `Invalid request: check ${details.map((d) => d.field).join(", ")}`,
      details,
    );
  }
  const asked = req.timeout ?? deps.defaultTimeoutMs;
  const timeoutMs = Math.min(asked, deps.maxTimeoutMs);
  let input: string;
  try {
    input = JSON.stringify(req.input ?? null);
  } catch {
    throw new BadRequestError("Invalid request: check input", [
      { field: field ? `${field}.input` : "input", message: "Must be JSON-serializable" },
    ]);
  }
  const tenant = requestTenant(body, header, deps.tenantSource, field);
  // A body field the tenant is taken from is read, not ignored.
  const used = deps.tenantSource.from === "body" ? deps.tenantSource.path[0] : undefined;
  return {
    request: {
      language: req.language,
      code: req.code,
      input,
      stdin: req.stdin ?? "",
      timeoutMs,
      priority: req.priority,
      key: isolationKey(deps.isolation, namespaced(tenant, keyId), req.language, req.code),
    },
    input: req.input,
    timeoutClamped: asked > timeoutMs,
    ignoredFields: Object.keys(body as object).filter((k) => !REQUEST_FIELDS.has(k) && k !== used),
    tenant,
  };
}

/** Builds the handler. */
export function runCodeHandler(deps: RunCodeDeps) {
  return async (c: Context<AppEnv>): Promise<Response> => {
    const requestId = c.get("requestId");
    const arrivedAt = performance.now();
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const prepared = prepareRun(
      parseBody(bytes),
      (name) => c.req.header(name),
      c.get("keyId"),
      deps,
    );
    const req = prepared.request;
    const span = c.get("span");
    const submittedAt = performance.now();
    let phases: AnswerPhases | undefined;
    const answer = (scheduled: ScheduledResult) => {
      const { result, taskId, queueMs, via } = scheduled;
      const resultAt = performance.now();
      phases = {
        parseMs: submittedAt - arrivedAt,
        ...scheduled.phases,
        execMs: result.durationMs,
        replyMs: 0,
      };
      span.set({
        "faas.language": req.language,
        "faas.status": result.status,
        "faas.task_id": taskId,
        "faas.duration_ms": result.durationMs,
      });
      logRun(deps.logger, requestId, req.code, prepared.input, result, {
        trace_id: span.context.traceId,
        key_id: c.get("keyId"),
        task_id: taskId,
        language: req.language,
        priority: req.priority,
        timeout_ms: req.timeoutMs,
        queue_ms: Math.round(queueMs * 1000) / 1000,
        instance_source: via,
      });
      const body = scheduledResponse(prepared, scheduled, deps.poolCounts());
      phases.replyMs = performance.now() - resultAt;
      tracePhases(span, arrivedAt, phases, {
        "faas.priority": req.priority,
        "faas.instance_id": result.instanceId,
        "faas.instance_source": via,
      });
      deps.onAnswered?.(req.language, phases);
      return body;
    };
    if (wantsEvents(c.req.header("accept"))) return await streamRun(c, req, answer, deps);
    const body = answer(await deps.scheduler.submit(req, c.req.raw.signal));
    if (phases) c.header("Server-Timing", serverTiming(phases));
    return c.json(body);
  };
}

/**
 * One line per run. Code, input and output appear only at debug level: they
 * are the caller's data, and may hold anything.
 */
function logRun(
  logger: Logger,
  requestId: string,
  code: string,
  input: unknown,
  result: RunResult,
  fields: LogFields,
): void {
  const debug = logger.enabled("debug");
  logger.info("run finished", {
    request_id: requestId,
    ...fields,
    status: result.status,
    exit_code: result.exitCode,
    duration_ms: Math.round(result.durationMs * 1000) / 1000,
    cpu_ms: result.cpuMs === undefined ? undefined : Math.round(result.cpuMs * 1000) / 1000,
    memory_peak_bytes: result.memoryBytes,
    instance: result.instanceId,
    code_bytes: new TextEncoder().encode(code).length,
    code_sha256: createHash("sha256").update(code).digest("hex").slice(0, 16),
    truncated: result.truncated,
    error: result.error,
    ...(debug
      ? {
        code,
        input: JSON.stringify(input ?? null),
        stdout: result.stdout,
        stderr: result.stderr,
        ret_val: result.retVal,
      }
      : {}),
  });
}

/**
 * The run's phases as child spans of the request's span, laid end to end
 * from its arrival (the trace's clock is epoch ms).
 */
function tracePhases(
  span: RequestSpan,
  arrivedAt: number,
  phases: AnswerPhases,
  attributes: Record<string, string>,
): void {
  let at = Date.now() - (performance.now() - arrivedAt);
  for (
    const [name, ms] of [
      ["parse", phases.parseMs],
      ["queue", phases.queueMs],
      ["start", phases.startMs],
      ["run", phases.runMs],
      ["reply", phases.replyMs],
    ] as const
  ) {
    span.child(name, at, at + ms, name === "run" ? attributes : undefined);
    at += ms;
  }
}

/** Whether the caller asked for Server-Sent Events. */
function wantsEvents(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(accept);
}

/**
 * Streams a run as Server-Sent Events: `stdout` and `stderr` events (data:
 * the chunk as a JSON string) as the code produces them, then one `result`
 * event with the usual body, or an `error` event if the run was refused
 * after the stream began. A refusal known at once (queue full, draining) is
 * still an ordinary JSON error response.
 */
async function streamRun(
  c: Context<AppEnv>,
  req: RunRequest,
  answer: (scheduled: ScheduledResult) => unknown,
  deps: RunCodeDeps,
): Promise<Response> {
  const events = new EventQueue();
  req.onOutput = (fd, text) => events.output(fd, text);
  const running = deps.scheduler.submit(req, c.req.raw.signal);
  let refused: unknown;
  running.catch((err) => refused = err);
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (refused) throw refused;
  // The response goes out now, the run goes on: it counts toward the
  // key's runs in progress until it settles.
  const release = c.get("holdRun")?.();
  if (release) running.then(release, release);
  return streamSSE(c, async (stream) => {
    running.then(
      (scheduled) => events.end({ event: "result", data: JSON.stringify(answer(scheduled)) }),
      (err) =>
        events.end({ event: "error", data: JSON.stringify({ error: (err as Error).message }) }),
    );
    await events.drain(stream);
  });
}
