/** `POST /run_code`: validate, schedule, answer. */
import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { Logger } from "../core/log.ts";
import type { RunRequest, ScheduledResult, Scheduler } from "../scheduler/scheduler.ts";
import { streamSSE } from "hono/streaming";
import { EventQueue } from "./event_queue.ts";
import type { PoolCounts } from "../sandbox/pool.ts";
import { scheduledResponse } from "./run_response.ts";
import type { RunResult } from "../sandbox/host.ts";
import type { LogFields } from "../core/log.ts";
import type { RequestSpan } from "../tracing/tracer.ts";
import type { AppEnv } from "./app_env.ts";
import { parseBody, type PrepareDeps, prepareRun } from "./run_prepare.ts";
import { callerOf } from "./tenant.ts";
export type { AppEnv } from "./app_env.ts";
import { type AnswerPhases, serverTiming } from "./server_timing.ts";
import type { QuotaGate } from "../admin/quota_gate.ts";
import { admitRuns, settleWith } from "./quota_admission.ts";

/** What the handler needs. */
export interface RunCodeDeps extends PrepareDeps {
  logger: Logger;
  scheduler: Scheduler;
  /** Instance counts over all pools, for `pool_stats`. */
  poolCounts(): PoolCounts;
  /** Receives where each answered run's time went (for metrics). */
  onAnswered?(language: RunRequest["language"], phases: AnswerPhases): void;
  /** Tenants' quotas, checked before a run is queued; none without. */
  quotas?: QuotaGate;
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
      callerOf(c),
      deps,
    );
    const req = prepared.request;
    const admission = await admitRuns(c, deps.quotas, req.account, 1, true);
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
    const submit = () => {
      const running = deps.scheduler.submit(req, c.req.raw.signal);
      settleWith(admission, running);
      return running;
    };
    if (wantsEvents(c.req.header("accept"))) return await streamRun(c, req, answer, submit);
    const body = answer(await submit());
    if (phases) c.header("Server-Timing", serverTiming(phases));
    return c.json(body);
  };
}

/**
 * One line per run. Code, input and output appear only at debug level: they
 * are the caller's data, and may hold anything.
 */
export function logRun(
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
  submit: () => Promise<ScheduledResult>,
): Promise<Response> {
  const events = new EventQueue();
  req.onOutput = (fd, text) => events.output(fd, text);
  const running = submit();
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
