/**
 * The results of runs that end with their host: stopped at a deadline or
 * for a caller, killed for memory, or lost in a crash. Nothing of their
 * output survives; the status and error say why.
 */
import type { RunMessage, RunStatus, StopReason } from "../protocol/host_messages.ts";
import type { ExitReason, RunResult } from "./host_types.ts";

/** What a run in progress on a host records. */
export interface PendingRun {
  msg: RunMessage;
  instance: { readonly id: string };
  /** performance.now() when it was sent. */
  started: number;
}

/** The result of `pending`, which ended with its host with `status`. */
export function lostRun(
  pending: PendingRun,
  status: RunStatus,
  error: string,
  exitCode = 1,
): RunResult {
  return {
    id: pending.msg.id,
    status,
    error,
    stdout: "",
    stderr: "",
    retVal: "",
    retValSet: false,
    exitCode,
    truncated: false,
    durationMs: performance.now() - pending.started,
    instanceId: pending.instance.id,
  };
}

/** Why a run was stopped, in words. */
export function stopError(reason: StopReason, timeoutMs: number): string {
  if (reason === "cancelled") return "Run was cancelled and stopped";
  if (reason === "client_gone") return "Run was stopped: its caller disconnected";
  return timeoutError(timeoutMs);
}

/** A run past its timeout, in words. */
export function timeoutError(ms: number): string {
  return `Run exceeded its timeout of ${ms} ms and was stopped`;
}

/**
 * The status and error of a run whose host exited for `reason` while it
 * ran: the reason it was stopped for, if the host was killed for that.
 */
export function exitOutcome(
  reason: ExitReason,
  stopped: StopReason | undefined,
  timeoutMs: number,
  memoryLimitMb: number,
): [RunStatus, string] {
  if (reason === "stopped" && stopped) return [stopped, stopError(stopped, timeoutMs)];
  if (reason === "timeout") return ["timeout", timeoutError(timeoutMs)];
  if (reason === "memory_limit") {
    return ["memory_limit", `Run exceeded the memory limit of ${memoryLimitMb} MiB`];
  }
  return ["killed", "The sandbox running the code died unexpectedly"];
}
