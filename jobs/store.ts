/**
 * The job store: an embedded SQLite database (`node:sqlite`) on local disk,
 * so jobs survive a restart. One row per job; the run request and its result
 * are JSON text.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import type { RunRequest } from "../scheduler/scheduler.ts";
import { PRIORITIES } from "../scheduler/priority_queue.ts";

/** Where a job is in its life. */
export type JobStatus = "queued" | "running" | "done" | "cancelled" | "dead";

/** What a job runs: the scheduler's request and what the response needs. */
export interface JobRun {
  request: RunRequest;
  timeoutClamped: boolean;
  ignoredFields: string[];
}

/** A job as stored. */
export interface Job {
  id: string;
  /** Who may see it: the API key id, "" without keys. */
  owner: string;
  status: JobStatus;
  attempts: number;
  run: JobRun;
  idempotencyKey?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** The `/run_code` 200 body, once done. */
  result?: unknown;
  /** Why it is dead. */
  error?: string;
}

interface Row {
  id: string;
  owner: string;
  status: JobStatus;
  attempts: number;
  run: string;
  idempotency_key: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  error: string | null;
}

function fromRow(r: Row): Job {
  const job: Job = {
    id: r.id,
    owner: r.owner,
    status: r.status,
    attempts: r.attempts,
    run: JSON.parse(r.run),
    createdAt: r.created_at,
  };
  if (r.idempotency_key !== null) job.idempotencyKey = r.idempotency_key;
  if (r.started_at !== null) job.startedAt = r.started_at;
  if (r.finished_at !== null) job.finishedAt = r.finished_at;
  if (r.result !== null) job.result = JSON.parse(r.result);
  if (r.error !== null) job.error = r.error;
  return job;
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
   * Takes the next queued job (highest priority, oldest first) of an owner
   * not in `skipOwners`, and marks it running under a lease.
   */
  claim(now: number, leaseMs: number, skipOwners?: readonly string[]): Promise<Job | undefined>;
  /** Sets a job's status (and result or error) if it is still one of `from`; whether it was. */
  finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields?: { result?: unknown; error?: string },
  ): Promise<boolean>;
  /** A running job back to the queue; `refund` when the attempt did not count. */
  requeue(id: string, refund: boolean): Promise<void>;
  /** A dead job back to the queue, its attempts counted afresh; whether it was dead. */
  retry(id: string): Promise<boolean>;
  /** Extends the leases of jobs this replica runs. */
  renew(ids: string[], until: number): Promise<void>;
  /**
   * Queues again the running jobs whose runner is gone: at start for a
   * store only this process uses; those with an expired lease for a shared one.
   */
  recover(now: number, atStart: boolean): Promise<number>;
  list(owner: string, status: JobStatus, limit: number): Promise<Job[]>;
  deleteFinishedBefore(before: number): Promise<number>;
  /** How many jobs are queued and running, over every owner (and replica). */
  activeCounts(): Promise<{ queued: number; running: number }>;
  close(): Promise<void>;
  /** Running jobs' output for other replicas; only on stores replicas share. */
  readonly output?: OutputLog;
}

/** Jobs in SQLite, for one service process. */
export class SqliteJobStore implements JobStore {
  #db: DatabaseSync;
  #claim: StatementSync;
  #claimId: StatementSync;
  #nextOwner: StatementSync;
  #ownerHead: StatementSync;
  #get: StatementSync;

  /** Opens (creating if needed) the database at `path`; ":memory:" for none on disk. */
  constructor(path: string) {
    if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA busy_timeout = 5000;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        priority INTEGER NOT NULL,
        run TEXT NOT NULL,
        idempotency_key TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        result TEXT,
        error TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, priority, created_at);
      CREATE INDEX IF NOT EXISTS jobs_owner_queue ON jobs (status, owner, priority, created_at);
      CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (owner, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    `);
    this.#get = this.#db.prepare("SELECT * FROM jobs WHERE id = ?");
    // One statement: no other claimant can take the same job in between.
    this.#claim = this.#db.prepare(`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?
      WHERE id = (SELECT id FROM jobs WHERE status = 'queued'
                  ORDER BY priority, created_at LIMIT 1)
      RETURNING *`);
    this.#claimId = this.#db.prepare(`
      UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?
      WHERE id = ? AND status = 'queued' RETURNING *`);
    this.#nextOwner = this.#db.prepare(
      "SELECT MIN(owner) AS owner FROM jobs WHERE status = 'queued' AND owner > ?",
    );
    this.#ownerHead = this.#db.prepare(`
      SELECT id, priority, created_at FROM jobs WHERE status = 'queued' AND owner = ?
      ORDER BY priority, created_at LIMIT 1`);
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
    now: number,
    _leaseMs: number,
    skipOwners: readonly string[] = [],
  ): Promise<Job | undefined> {
    if (skipOwners.length === 0) {
      const row = this.#claim.get(now) as Row | undefined;
      return Promise.resolve(row && fromRow(row));
    }
    // Each owner's head through the index, so the queued jobs of the owners
    // passed over are never scanned, however many they are.
    const skip = new Set(skipOwners);
    type Head = { id: string; priority: number; created_at: number };
    let best: Head | undefined;
    const consider = (owner: string) => {
      if (skip.has(owner)) return;
      const head = this.#ownerHead.get(owner) as Head | undefined;
      if (
        head && (!best || head.priority < best.priority ||
          (head.priority === best.priority && head.created_at < best.created_at))
      ) best = head;
    };
    // Owners in order: "" (no API keys) first, then each next one by the index.
    consider("");
    let owner: string | null = "";
    while ((owner = (this.#nextOwner.get(owner) as { owner: string | null }).owner) !== null) {
      consider(owner);
    }
    const row = best && this.#claimId.get(now, best.id) as Row | undefined;
    return Promise.resolve(row && fromRow(row));
  }

  /** Sets a job's status (and result or error) if it is still `from`; whether it was. */
  finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields: { result?: unknown; error?: string } = {},
  ): Promise<boolean> {
    const finished = to === "queued" ? null : now;
    const r = this.#db.prepare(
      `UPDATE jobs SET status = ?, finished_at = ?, result = ?, error = ?
       WHERE id = ? AND status IN (${from.map(() => "?").join(",")})`,
    ).run(
      to,
      finished,
      fields.result === undefined ? null : JSON.stringify(fields.result),
      fields.error ?? null,
      id,
      ...from,
    );
    return Promise.resolve(Number(r.changes) > 0);
  }

  /**
   * A running job back to the queue: after a failed attempt, or, with
   * `refund`, because the service refused it (which is not an attempt).
   */
  requeue(id: string, refund: boolean): Promise<void> {
    this.#db.prepare(
      `UPDATE jobs SET status = 'queued', attempts = attempts - ?
       WHERE id = ? AND status = 'running'`,
    ).run(refund ? 1 : 0, id);
    return Promise.resolve();
  }

  /** A dead job back to the queue, its attempts counted afresh. */
  retry(id: string): Promise<boolean> {
    const r = this.#db.prepare(
      `UPDATE jobs SET status = 'queued', attempts = 0, finished_at = NULL, error = NULL,
       started_at = NULL WHERE id = ? AND status = 'dead'`,
    ).run(id);
    return Promise.resolve(Number(r.changes) > 0);
  }

  renew(_ids: string[], _until: number): Promise<void> {
    // Only this process uses the file: no other runner could take a job over.
    return Promise.resolve();
  }

  /** At start: jobs that were running when the service stopped go back to the queue. */
  recover(_now: number, atStart: boolean): Promise<number> {
    if (!atStart) return Promise.resolve(0);
    return Promise.resolve(Number(
      this.#db.prepare("UPDATE jobs SET status = 'queued' WHERE status = 'running'").run().changes,
    ));
  }

  /** The owner's jobs with `status`, oldest first. */
  list(owner: string | undefined, status: JobStatus, limit: number): Promise<Job[]> {
    const rows =
      (owner === undefined
        ? this.#db.prepare("SELECT * FROM jobs WHERE status = ? ORDER BY created_at LIMIT ?")
          .all(status, limit)
        : this.#db.prepare(
          "SELECT * FROM jobs WHERE owner = ? AND status = ? ORDER BY created_at LIMIT ?",
        ).all(owner, status, limit)) as unknown as Row[];
    return Promise.resolve(rows.map(fromRow));
  }

  /** Deletes jobs that finished before `before`; how many. */
  deleteFinishedBefore(before: number): Promise<number> {
    return Promise.resolve(Number(
      this.#db.prepare(
        "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?",
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
