/**
 * The embedded job store (types.ts's `JobStore`): a SQLite database
 * (`node:sqlite`) on local disk, so jobs survive a restart. One row per job;
 * the run request and its result are JSON text, with the result's size
 * beside it so an owner's total is summed from an index, never from the
 * results themselves.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { PRIORITIES } from "../scheduler/priority_queue.ts";
import { keyOfOwner } from "./owner.ts";
import { SqliteDeadLetters } from "./sqlite_dead_letters.ts";
import { prepareJobsTable } from "./sqlite_schema.ts";
import type {
  DeadLetterCounts,
  DeadLetterMark,
  DeadLetterQuery,
  DeadLetterSummary,
  KeptStats,
} from "./types.ts";
import {
  type AttemptRecord,
  type FinishFields,
  type Job,
  type JobCursor,
  type JobPage,
  type JobStatus,
  type JobStore,
  type JobSummary,
  utf8Length,
} from "./types.ts";

interface SummaryRow {
  id: string;
  status: JobStatus;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
}

interface Row extends SummaryRow {
  owner: string;
  run: string;
  idempotency_key: string | null;
  result: string | null;
  result_note: string | null;
  history: string;
  retry_base: number;
  dead_at: number | null;
  dlq: DeadLetterMark | null;
}

function summaryOf(r: SummaryRow): JobSummary {
  const job: JobSummary = {
    id: r.id,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
  };
  if (r.started_at !== null) job.startedAt = r.started_at;
  if (r.finished_at !== null) job.finishedAt = r.finished_at;
  if (r.error !== null) job.error = r.error;
  return job;
}

function fromRow(r: Row): Job {
  const job: Job = { ...summaryOf(r), owner: r.owner, run: JSON.parse(r.run) };
  if (r.idempotency_key !== null) job.idempotencyKey = r.idempotency_key;
  if (r.result !== null) job.result = JSON.parse(r.result);
  if (r.result_note !== null) job.resultNote = r.result_note;
  job.history = JSON.parse(r.history || "[]");
  if (r.retry_base) job.retryBase = r.retry_base;
  if (r.dead_at !== null) job.deadAt = r.dead_at;
  if (r.dlq !== null) job.dlq = r.dlq;
  return job;
}

/** SQL that appends the JSON bound at its `?` to a job's history. */
const APPEND = "json_insert(history, '$[#]', json(?))";

const SUMMARY_COLUMNS = "id, status, attempts, created_at, started_at, finished_at, error";

/** Jobs in SQLite, for one service process. */
export class SqliteJobStore implements JobStore {
  #db: DatabaseSync;
  #claim: StatementSync;
  #claimId: StatementSync;
  #nextOwner: StatementSync;
  #ownerHead: StatementSync;
  #get: StatementSync;
  #list: StatementSync;
  #bytes: StatementSync;
  #dead: SqliteDeadLetters;

  /** Opens (creating if needed) the database at `path`; ":memory:" for none on disk. */
  constructor(path: string) {
    if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    prepareJobsTable(this.#db);
    this.#dead = new SqliteDeadLetters(this.#db);
    this.#get = this.#db.prepare("SELECT * FROM jobs WHERE id = ?");
    // One statement: no other claimant can take the same job in between.
    // A claim is not an attempt (the service may die before the run starts).
    this.#claim = this.#db.prepare(`
      UPDATE jobs SET status = 'running'
      WHERE id = (SELECT id FROM jobs WHERE status = 'queued'
                  ORDER BY priority, created_at LIMIT 1)
      RETURNING *`);
    this.#claimId = this.#db.prepare(
      "UPDATE jobs SET status = 'running' WHERE id = ? AND status = 'queued' RETURNING *",
    );
    this.#nextOwner = this.#db.prepare(
      "SELECT MIN(owner) AS owner FROM jobs WHERE status = 'queued' AND owner > ?",
    );
    this.#ownerHead = this.#db.prepare(`
      SELECT id, priority, created_at FROM jobs WHERE status = 'queued' AND owner = ?
      ORDER BY priority, created_at LIMIT 1`);
    this.#list = this.#db.prepare(`
      SELECT ${SUMMARY_COLUMNS} FROM jobs
      WHERE owner = ? AND status = ? AND (created_at > ? OR (created_at = ? AND id > ?))
      ORDER BY created_at, id LIMIT ?`);
    // Covered by jobs_owner_bytes: the results themselves are never read.
    this.#bytes = this.#db.prepare(
      "SELECT COALESCE(SUM(result_bytes), 0) AS n FROM jobs WHERE owner = ?",
    );
  }

  /** Adds queued jobs, all or none. */
  insert(jobs: Job[]): Promise<void> {
    const add = this.#db.prepare(`INSERT INTO jobs
      (id, owner, status, attempts, priority, run, idempotency_key, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#db.exec("BEGIN");
    try {
      for (const j of jobs) {
        add.run(
          j.id,
          j.owner,
          j.status,
          j.attempts,
          PRIORITIES.indexOf(j.run.request.priority),
          JSON.stringify(j.run),
          j.idempotencyKey ?? null,
          j.createdAt,
        );
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      return Promise.reject(err);
    }
    return Promise.resolve();
  }

  /** The job, or undefined. */
  get(id: string): Promise<Job | undefined> {
    const row = this.#get.get(id) as Row | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  /** The owner's job with this idempotency key, if any. */
  byIdempotencyKey(owner: string, key: string): Promise<Job | undefined> {
    const row = this.#db.prepare("SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ?")
      .get(owner, key) as Row | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  /** Takes the next queued job (highest priority, oldest first) and marks it running. */
  claim(
    _now: number,
    _leaseMs: number,
    skipKeys: readonly string[] = [],
  ): Promise<Job | undefined> {
    if (skipKeys.length === 0) {
      const row = this.#claim.get() as Row | undefined;
      return Promise.resolve(row && fromRow(row));
    }
    // Each owner's head through the index, so the queued jobs of the owners
    // passed over are never scanned, however many they are.
    const skip = new Set(skipKeys);
    type Head = { id: string; priority: number; created_at: number };
    let best: Head | undefined;
    const after = (owner: string) => (this.#nextOwner.get(owner) as { owner: string | null }).owner;
    // Owners in order: "" (no API keys, no tenant) first, then each next one by the index.
    let owner: string | null = "";
    while (owner !== null) {
      const key = keyOfOwner(owner);
      if (skip.has(key)) {
        // The key's owners ("<key>" and "<key>/<tenant>") sort together below
        // "<key>0" ('/' < '0', and key ids are hex of one length): jump them
        // all, so a key's many tenants cost one step.
        owner = after(`${key}0`);
        continue;
      }
      const head = this.#ownerHead.get(owner) as Head | undefined;
      if (
        head && (!best || head.priority < best.priority ||
          (head.priority === best.priority && head.created_at < best.created_at))
      ) best = head;
      owner = after(owner);
    }
    const row = best && this.#claimId.get(best.id) as Row | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  /** The run reached a sandbox: one more attempt, started now. */
  markStarted(id: string, now: number): Promise<number | undefined> {
    const row = this.#db.prepare(
      `UPDATE jobs SET attempts = attempts + 1, started_at = ?
       WHERE id = ? AND status = 'running' RETURNING attempts`,
    ).get(now, id) as { attempts: number } | undefined;
    return Promise.resolve(row?.attempts);
  }

  /** Sets a job's status (and result or error) if it is still `from`; whether it was. */
  finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields: FinishFields = {},
  ): Promise<boolean> {
    const finished = to === "queued" ? null : now;
    // Fields not given stay as they are (a done job declared dead keeps its result).
    const sets = ["status = ?", "finished_at = ?"];
    const values: (string | number | null)[] = [to, finished];
    if (fields.result !== undefined) {
      const result = JSON.stringify(fields.result);
      sets.push("result = ?", "result_bytes = ?", "result_note = ?");
      values.push(result, utf8Length(result), fields.resultNote ?? null);
    }
    if (fields.error !== undefined) {
      sets.push("error = ?");
      values.push(fields.error);
    }
    if (fields.attempt !== undefined) {
      sets.push(`history = ${APPEND}`);
      values.push(JSON.stringify(fields.attempt));
    }
    // A job dying (again) is a pending dead letter.
    if (to === "dead") {
      sets.push("dead_at = ?", "dlq = NULL");
      values.push(now);
    }
    const r = this.#db.prepare(
      `UPDATE jobs SET ${sets.join(", ")}
       WHERE id = ? AND status IN (${from.map(() => "?").join(",")})`,
    ).run(...values, id, ...from);
    return Promise.resolve(Number(r.changes) > 0);
  }

  /**
   * A running job back to the queue: after a failed attempt, or, with
   * `refund`, because the service refused the run it had started.
   */
  requeue(id: string, refund: boolean, attempt?: AttemptRecord): Promise<void> {
    this.#db.prepare(
      `UPDATE jobs SET status = 'queued', attempts = MAX(0, attempts - ?),
       history = CASE WHEN ? IS NULL THEN history ELSE ${APPEND} END
       WHERE id = ? AND status = 'running'`,
    ).run(refund ? 1 : 0, attempt ? "x" : null, attempt ? JSON.stringify(attempt) : null, id);
    return Promise.resolve();
  }

  /** A dead job back to the queue with fresh attempts; its history stays. */
  retry(id: string): Promise<boolean> {
    const r = this.#db.prepare(
      `UPDATE jobs SET status = 'queued', retry_base = attempts, finished_at = NULL,
       error = NULL, started_at = NULL, dlq = 'retried' WHERE id = ? AND status = 'dead'`,
    ).run(id);
    return Promise.resolve(Number(r.changes) > 0);
  }

  /** Marks a dead job discarded; whether it is dead. */
  discard(id: string): Promise<boolean> {
    return Promise.resolve(this.#dead.discard(id));
  }

  /** Dead letters of every owner, newest death first. */
  deadLetters(q: DeadLetterQuery): Promise<{ letters: DeadLetterSummary[]; total: number }> {
    return Promise.resolve(this.#dead.list(q));
  }

  /** How many dead letters stand in each state. */
  deadLetterCounts(): Promise<DeadLetterCounts> {
    return Promise.resolve(this.#dead.counts());
  }

  /** Deletes dead jobs that died before `before` (all without); how many. */
  deleteDeadLetters(before?: number): Promise<number> {
    return Promise.resolve(this.#dead.delete(before));
  }

  /** What finished jobs (dead ones aside) and dead ones hold. */
  keptStats(): Promise<{ jobs: KeptStats; deadLetters: KeptStats }> {
    return Promise.resolve(this.#dead.kept());
  }

  renew(_ids: string[], _until: number): Promise<void> {
    // Only this process uses the file: no other runner could take a job over.
    return Promise.resolve();
  }

  /** At start: jobs that were running when the service stopped go back to the queue. */
  recover(now: number, atStart: boolean): Promise<number> {
    if (!atStart) return Promise.resolve(0);
    return Promise.resolve(Number(
      // An attempt under way when the service stopped is recorded as lost.
      this.#db.prepare(
        `UPDATE jobs SET status = 'queued', history = CASE
           WHEN attempts > json_array_length(history) THEN json_insert(history, '$[#]',
             json_object('attempt', attempts, 'startedAt', started_at, 'finishedAt', ?,
               'outcome', 'lost', 'error', 'The service stopped during the attempt'))
           ELSE history END
         WHERE status = 'running'`,
      ).run(now).changes,
    ));
  }

  /** The owner's jobs with `status`, oldest first, as summaries. */
  list(owner: string, status: JobStatus, limit: number, after?: JobCursor): Promise<JobPage> {
    const from = after ?? { createdAt: -1, id: "" };
    // One more than asked tells whether another page follows.
    const rows = this.#list.all(
      owner,
      status,
      from.createdAt,
      from.createdAt,
      from.id,
      limit + 1,
    ) as unknown as SummaryRow[];
    const jobs = rows.slice(0, limit).map(summaryOf);
    const last = jobs.at(-1);
    return Promise.resolve(
      rows.length > limit && last ? { jobs, next: { createdAt: last.createdAt, id: last.id } } : {
        jobs,
      },
    );
  }

  /** Bytes of the results the owner's kept jobs hold. */
  resultBytes(owner: string): Promise<number> {
    return Promise.resolve(Number((this.#bytes.get(owner) as { n: number }).n));
  }

  /** Deletes done and cancelled jobs that finished before `before`; how many. */
  deleteFinishedBefore(before: number): Promise<number> {
    return Promise.resolve(Number(
      this.#db.prepare(
        `DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at IS NOT NULL
         AND finished_at < ?`,
      ).run(before).changes,
    ));
  }

  /** How many jobs are queued and running. */
  activeCounts(): Promise<{ queued: number; running: number }> {
    const rows = this.#db.prepare(
      "SELECT status, COUNT(*) AS n FROM jobs WHERE status IN ('queued', 'running') GROUP BY status",
    ).all() as unknown as { status: string; n: number }[];
    const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return Promise.resolve({ queued: count("queued"), running: count("running") });
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
