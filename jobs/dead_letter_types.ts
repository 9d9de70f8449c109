/**
 * Dead letters: jobs that used up their attempts (`dead`), kept apart from
 * finished jobs for their own retention, and the jobs once dead that were
 * queued again. What the job stores answer about them, over every owner.
 */
import type { JobStatus, JobSummary } from "./types.ts";

/**
 * Where a dead letter stands: `pending` (dead, untouched), `retried`
 * (queued again after it died; its job may have moved on since), or
 * `discarded` (set aside, still kept).
 */
export type DeadLetterState = "pending" | "retried" | "discarded";

/** The states, for validation and documentation. */
export const DEAD_LETTER_STATES: readonly DeadLetterState[] = ["pending", "retried", "discarded"];

/** What a job keeps of its life as a dead letter. */
export type DeadLetterMark = "retried" | "discarded";

/** A job's dead-letter state, or undefined for a job that never died. */
export function deadLetterState(
  job: { status: JobStatus; dlq?: DeadLetterMark },
): DeadLetterState | undefined {
  if (job.dlq) return job.dlq;
  return job.status === "dead" ? "pending" : undefined;
}

/** A filter over the dead letters, newest first. */
export interface DeadLetterQuery {
  state?: DeadLetterState;
  /** The tenant their jobs were submitted for; for jobs naming none, their API key id. */
  tenant?: string;
  /** `python`, `javascript` or `typescript`. */
  language?: string;
  /** Text their error or their code holds (letters A-Z in either case). */
  text?: string;
  /** When they died, epoch ms, both ends included. */
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

/** A dead letter in a listing. */
export interface DeadLetterSummary extends JobSummary {
  owner: string;
  state: DeadLetterState;
  /** When it last died, epoch ms. */
  deadAt: number;
  language: string;
  /** Its code; listings show the start of it. */
  code: string;
}

/** How many dead letters stand in each state. */
export type DeadLetterCounts = Record<DeadLetterState, number>;

/** How much one class of kept data holds, for retention. */
export interface KeptStats {
  count: number;
  /** When the oldest item finished (a job) or died (a dead letter), epoch ms. */
  oldest?: number;
  /** What its runs, results and histories take, roughly. */
  bytes: number;
}
