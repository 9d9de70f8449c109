/**
 * The dead letters of the SQLite job store (`sqlite_store.ts`): a job is
 * one from the moment it dies (`dead_at` set) until it is deleted; `dlq`
 * marks it retried or discarded. Listings filter in SQL over every owner.
 */
import type { DatabaseSync } from "node:sqlite";
import { ownerTenantPart } from "./owner.ts";
import {
  type DeadLetterCounts,
  type DeadLetterMark,
  type DeadLetterQuery,
  deadLetterState,
  type DeadLetterSummary,
  type KeptStats,
} from "./types.ts";
import type { JobStatus } from "./types.ts";

interface LetterRow {
  id: string;
  owner: string;
  status: JobStatus;
  dlq: DeadLetterMark | null;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  dead_at: number;
  language: string;
  code: string;
}

/** The part of an owner after its key: its tenant, or the key id for owners naming none. */
const TENANT_PART = "CASE WHEN instr(owner, '/') > 0 THEN substr(owner, instr(owner, '/') + 1) " +
  "ELSE owner END";

/** Roughly what a job row holds, bytes. */
const ROW_BYTES = "length(CAST(run AS BLOB)) + result_bytes + length(CAST(history AS BLOB)) + " +
  "COALESCE(length(CAST(error AS BLOB)), 0)";

function letterOf(r: LetterRow): DeadLetterSummary {
  const letter: DeadLetterSummary = {
    id: r.id,
    owner: r.owner,
    status: r.status,
    state: deadLetterState({ status: r.status, dlq: r.dlq ?? undefined }) ?? "pending",
    attempts: r.attempts,
    createdAt: r.created_at,
    deadAt: r.dead_at,
    language: r.language,
    code: r.code,
  };
  if (r.started_at !== null) letter.startedAt = r.started_at;
  if (r.finished_at !== null) letter.finishedAt = r.finished_at;
  if (r.error !== null) letter.error = r.error;
  return letter;
}

/** Dead-letter queries over the `jobs` table. */
export class SqliteDeadLetters {
  #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Marks a dead job discarded; whether it is dead. */
  discard(id: string): boolean {
    const r = this.#db.prepare("UPDATE jobs SET dlq = 'discarded' WHERE id = ? AND status = 'dead'")
      .run(id);
    return Number(r.changes) > 0;
  }

  /** Dead letters matching `q`, newest death first, and how many match. */
  list(q: DeadLetterQuery): { letters: DeadLetterSummary[]; total: number } {
    const where = ["dead_at IS NOT NULL"];
    const args: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (q.state === "pending") where.push("status = 'dead' AND dlq IS NULL");
    else if (q.state) add("dlq = ?", q.state);
    if (q.tenant !== undefined) add(`${TENANT_PART} = ?`, ownerTenantPart(q.tenant));
    if (q.language !== undefined) add("json_extract(run, '$.request.language') = ?", q.language);
    if (q.text !== undefined) {
      add(
        "(instr(lower(COALESCE(error, '')), lower(?)) > 0 OR " +
          "instr(lower(json_extract(run, '$.request.code')), lower(?)) > 0)",
        q.text,
        q.text,
      );
    }
    if (q.from !== undefined) add("dead_at >= ?", q.from);
    if (q.to !== undefined) add("dead_at <= ?", q.to);
    const clause = where.join(" AND ");
    const total = Number(
      (this.#db.prepare(`SELECT COUNT(*) AS n FROM jobs WHERE ${clause}`).get(...args) as {
        n: number;
      }).n,
    );
    const rows = this.#db.prepare(
      `SELECT id, owner, status, dlq, attempts, created_at, started_at, finished_at, error,
        dead_at, json_extract(run, '$.request.language') AS language,
        json_extract(run, '$.request.code') AS code
       FROM jobs WHERE ${clause} ORDER BY dead_at DESC, id DESC LIMIT ? OFFSET ?`,
    ).all(...args, q.limit, q.offset) as unknown as LetterRow[];
    return { letters: rows.map(letterOf), total };
  }

  /** How many dead letters stand in each state. */
  counts(): DeadLetterCounts {
    const row = this.#db.prepare(
      `SELECT COALESCE(SUM(status = 'dead' AND dlq IS NULL), 0) AS pending,
        COALESCE(SUM(dlq = 'retried'), 0) AS retried,
        COALESCE(SUM(dlq = 'discarded'), 0) AS discarded
       FROM jobs WHERE dead_at IS NOT NULL`,
    ).get() as DeadLetterCounts;
    return {
      pending: Number(row.pending),
      retried: Number(row.retried),
      discarded: Number(row.discarded),
    };
  }

  /** Deletes dead jobs that died before `before` (every one without); how many. */
  delete(before?: number): number {
    const r = this.#db.prepare("DELETE FROM jobs WHERE status = 'dead' AND dead_at < ?")
      .run(before ?? Number.MAX_SAFE_INTEGER);
    return Number(r.changes);
  }

  /** What finished jobs (dead ones aside) and dead ones hold. */
  kept(): { jobs: KeptStats; deadLetters: KeptStats } {
    const stats = (where: string, time: string): KeptStats => {
      const row = this.#db.prepare(
        `SELECT COUNT(*) AS count, MIN(${time}) AS oldest, COALESCE(SUM(${ROW_BYTES}), 0) AS bytes
         FROM jobs WHERE ${where}`,
      ).get() as { count: number; oldest: number | null; bytes: number };
      return {
        count: Number(row.count),
        ...(row.oldest !== null && { oldest: Number(row.oldest) }),
        bytes: Number(row.bytes),
      };
    };
    return {
      jobs: stats("status IN ('done', 'cancelled')", "finished_at"),
      deadLetters: stats("status = 'dead'", "dead_at"),
    };
  }
}
