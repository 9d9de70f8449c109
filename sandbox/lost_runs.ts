/**
 * The results of runs that end with their host: stopped at a deadline or
 * for a caller, killed for memory, or lost in a crash. Nothing of their
 * output survives; the status and error say why.
 */
import type { RunMessage, RunStatus, StopReason } from "../protocol/host_messages.ts";
import type { RunResult } from "./host_types.ts";

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
