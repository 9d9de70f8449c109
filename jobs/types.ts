/**
 * What the job stores keep and the contract both of them follow: SQLite on
 * one machine (`SqliteJobStore`), Redis shared by replicas (`RedisJobStore`).
 */
import type { RunRequest } from "../scheduler/scheduler.ts";
import type { RetryCause } from "./retry_policy.ts";

/** Where a job is in its life. */
export type JobStatus = "queued" | "running" | "done" | "cancelled" | "dead";

/**
 * What a job made through another protocol's API keeps of its request
 * beyond the run, to answer in that protocol later: a Judge0 submission's
 * language id and expected output (its status depends on the comparison).
 */
export interface JobClient {
  protocol: "judge0";
  languageId: number;
  expectedOutput?: string;
  /** `command_line_arguments` as given, before it was split into the run's args. */
  commandLineArguments?: string;
}

/** What a job runs: the scheduler's request and what the response needs. */
export interface JobRun {
  request: RunRequest;
  timeoutClamped: boolean;
  ignoredFields: string[];
  /**
   * Set for jobs made through another protocol's API. Its result keeps
   * stdout and stderr as the program wrote them (see `scheduledResponse`).
   */
  client?: JobClient;
  /** Attempts (since its last retry) before it is dead; the runner's limit when absent. */
  maxAttempts?: number;
  /** Run outcomes tried again; `["killed"]` when absent (see `retry_policy.ts`). */
  retryOn?: RetryCause[];
}

/** One attempt of a job, as its history keeps it. */
export interface AttemptRecord {
  /** 1 for the job's first attempt, counting on across retries. */
  attempt: number;
  /** When its run reached a sandbox (epoch ms). */
  startedAt?: number;
  /** When it ended (epoch ms). */
  finishedAt: number;
  /**
   * How it ended: `done` (a result, whatever the run's status), `failed`
   * (the sandbox died or the run could not be made; retried or dead),
   * `cancelled`, or `lost` (the service stopped during it).
   */
  outcome: "done" | "failed" | "cancelled" | "lost";
  /** The run's status, when it ran to one. */
  runStatus?: string;
  error?: string;
  /** The instance that ran it. */
  instance?: string;
}

/** A job as stored. */
export interface Job {
  id: string;
  /**
   * Who may see it: the API key id ("" without keys), then `/` and the
   * tenant (URI-encoded) when the request named one; see `jobs/owner.ts`.
   */
  owner: string;
  status: JobStatus;
  /** Runs of the job that reached a sandbox, over its whole life (retries included). */
  attempts: number;
  /** `attempts` when it was last retried: the attempts since count toward the limit. */
  retryBase?: number;
  /** Its attempts, oldest first, as they ended. */
  history?: AttemptRecord[];
  run: JobRun;
  idempotencyKey?: string;
  createdAt: number;
  /** When its latest attempt reached a sandbox. */
  startedAt?: number;
  finishedAt?: number;
  /** The `/run_code` 200 body, once done (cut to fit, see `resultNote`). */
  result?: unknown;
  /** Why the stored result is not whole; absent when it is. */
  resultNote?: string;
  /** Why it is dead. */
  error?: string;
  /** When it last became dead (a dead letter), epoch ms; kept when it is retried. */
  deadAt?: number;
  /** Set once a dead letter is retried or discarded; cleared if it dies again. */
  dlq?: DeadLetterMark;
}

/** A job without its run and result, for listings. */
export type JobSummary = Pick<
  Job,
  "id" | "status" | "attempts" | "createdAt" | "startedAt" | "finishedAt" | "error"
>;

/** Where a listing goes on: after the job created at `createdAt` with `id`. */
export interface JobCursor {
  createdAt: number;
  id: string;
}

/** One page of a listing, oldest first; `next` when more may follow. */
export interface JobPage {
  jobs: JobSummary[];
  next?: JobCursor;
}

/** What `finish` stores besides the status. */
export interface FinishFields {
  result?: unknown;
  /** Why `result` is not whole. */
  resultNote?: string;
  error?: string;
  /** The attempt that just ended, appended to the job's history. */
  attempt?: AttemptRecord;
}

/** A piece of a run's output. */
export interface OutputChunk {
  fd: 1 | 2;
  text: string;
}

/**
 * Output of running jobs where every replica can read it, so
 * `GET /jobs/{id}/events` streams live from any replica. Only a store
 * shared by replicas has one.
 */
export interface OutputLog {
  /** A new attempt of the job starts: what earlier attempts wrote goes. */
  reset(id: string): Promise<void>;
  /** The attempt ended: its output is kept a little longer for late readers, then dropped. */
  close(id: string): Promise<void>;
  /** Appends a chunk written on replica `by` (in order with this replica's other calls). */
  append(id: string, by: string, chunk: OutputChunk): Promise<void>;
  /** Chunks after `cursor` ("0": from the start) with their replica, and the next cursor. */
  read(
    id: string,
    cursor: string,
  ): Promise<{ chunks: (OutputChunk & { by: string })[]; cursor: string }>;
}

/**
 * Where jobs are kept: SQLite on one machine (`SqliteJobStore`), or Redis
 * shared by replicas (`RedisJobStore`).
 */
export interface JobStore {
  /** Adds queued jobs, all or none. */
  insert(jobs: Job[]): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /** The owner's job with this idempotency key, if any. */
  byIdempotencyKey(owner: string, key: string): Promise<Job | undefined>;
  /**
   * Takes the next queued job (highest priority, oldest first) whose owner's
   * API key is not in `skipKeys`, and marks it running under a lease. A
   * claim is not an attempt: see `markStarted`.
   */
  claim(now: number, leaseMs: number, skipKeys?: readonly string[]): Promise<Job | undefined>;
  /**
   * The claimed job's run reached a sandbox: counts the attempt and stamps
   * its start. The job's attempts now, or undefined if it is no longer running.
   */
  markStarted(id: string, now: number): Promise<number | undefined>;
  /** Sets a job's status (and result or error) if it is still one of `from`; whether it was. */
  finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields?: FinishFields,
  ): Promise<boolean>;
  /**
   * A running job back to the queue; `refund` takes back the attempt
   * `markStarted` counted; `attempt` (the one that failed) joins its history.
   */
  requeue(id: string, refund: boolean, attempt?: AttemptRecord): Promise<void>;
  /**
   * A dead job back to the queue with as many attempts as a new one, its
   * history kept (`retryBase` set to its attempts) and its dead letter
   * marked `retried`; whether it was dead.
   */
  retry(id: string): Promise<boolean>;
  /** Marks a dead job's dead letter discarded (kept, no longer pending); whether it is dead. */
  discard(id: string): Promise<boolean>;
  /**
   * Dead letters of every owner matching `query`, newest death first, and
   * how many match in all.
   */
  deadLetters(query: DeadLetterQuery): Promise<{ letters: DeadLetterSummary[]; total: number }>;
  /** How many dead letters stand in each state. */
  deadLetterCounts(): Promise<DeadLetterCounts>;
  /**
   * Deletes the dead jobs (pending and discarded dead letters) that died
   * before `before`, or all of them without; how many.
   */
  deleteDeadLetters(before?: number): Promise<number>;
  /** What finished jobs (dead ones aside) and dead ones hold. */
  keptStats(): Promise<{ jobs: KeptStats; deadLetters: KeptStats }>;
  /** Extends the leases of jobs this replica runs. */
  renew(ids: string[], until: number): Promise<void>;
  /**
   * Queues again the running jobs whose runner is gone: at start for a
   * store only this process uses; those with an expired lease for a shared one.
   */
  recover(now: number, atStart: boolean): Promise<number>;
  /**
   * The owner's jobs with `status`, oldest first, `limit` at most, after
   * `after`: summaries only, so a listing never reads runs or results.
   */
  list(owner: string, status: JobStatus, limit: number, after?: JobCursor): Promise<JobPage>;
  /** Bytes of the results the owner's kept jobs hold. */
  resultBytes(owner: string): Promise<number>;
  /** Deletes done and cancelled jobs that finished before `before` (never dead ones); how many. */
  deleteFinishedBefore(before: number): Promise<number>;
  /** How many jobs are queued and running, over every owner (and replica). */
  activeCounts(): Promise<{ queued: number; running: number }>;
  close(): Promise<void>;
  /** Running jobs' output for other replicas; only on stores replicas share. */
  readonly output?: OutputLog;
}

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

// Dead letters: jobs that used up their attempts (`dead`), kept apart from
// finished jobs for their own retention, and the jobs once dead that were
// queued again; what the stores answer about them, over every owner.

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
