/**
 * The job store shared by replicas: Redis (`FAAS_JOB_STORE=redis://host:port/db`).
 *
 * A job is a hash; the queue is a sorted set by priority then age; running
 * jobs sit in a sorted set by lease expiry, which their replica renews every
 * second, so the jobs of a replica that died are queued again once their
 * lease runs out. Every change of status is one Lua script, so replicas
 * never claim the same job twice.
 */
import { closeRedis, redisClient } from "./redis_client.ts";
import { PRIORITIES } from "../scheduler/priority_queue.ts";
import type {
  AttemptRecord,
  FinishFields,
  Job,
  JobCursor,
  JobPage,
  JobStatus,
  JobStore,
  JobSummary,
  OutputLog,
} from "./types.ts";
import {
  CLAIM,
  EXPIRE,
  FINISH,
  INSERT,
  LAYOUT,
  LIST,
  P,
  RECOVER,
  REQUEUE,
  RETRY,
  START,
} from "./redis_scripts.ts";
import * as DLQ from "./redis_dlq_scripts.ts";
import { redisOutputLog } from "./redis_output_log.ts";
import { ownerTenantPart } from "./owner.ts";
import type {
  DeadLetterCounts,
  DeadLetterMark,
  DeadLetterQuery,
  DeadLetterState,
  DeadLetterSummary,
  KeptStats,
} from "./types.ts";

function fromHash(h: Record<string, string>): Job | undefined {
  if (!h.id) return undefined;
  const job: Job = {
    id: h.id,
    owner: h.owner,
    status: h.status as JobStatus,
    attempts: Number(h.attempts),
    run: JSON.parse(h.run),
    createdAt: Number(h.created_at),
  };
  if (h.idempotency_key) job.idempotencyKey = h.idempotency_key;
  if (h.started_at) job.startedAt = Number(h.started_at);
  if (h.finished_at) job.finishedAt = Number(h.finished_at);
  if (h.result) job.result = JSON.parse(h.result);
  if (h.result_note) job.resultNote = h.result_note;
  if (h.error) job.error = h.error;
  job.history = JSON.parse(h.history || "[]");
  if (Number(h.retry_base)) job.retryBase = Number(h.retry_base);
  if (h.dead_at) job.deadAt = Number(h.dead_at);
  if (h.dlq) job.dlq = h.dlq as DeadLetterMark;
  return job;
}

/** A dead letter from the fields `DLQ.LIST` returns, in its order. */
function letterOf(
  [id, owner, status, state, attempts, created, started, finished, error, dead, language, code]:
    string[],
): DeadLetterSummary {
  const letter: DeadLetterSummary = {
    id,
    owner,
    status: status as JobStatus,
    state: state as DeadLetterState,
    attempts: Number(attempts),
    createdAt: Number(created),
    deadAt: Number(dead),
    language,
    code,
  };
  if (started) letter.startedAt = Number(started);
  if (finished) letter.finishedAt = Number(finished);
  if (error) letter.error = error;
  return letter;
}

/** Lower-cases A-Z only, as Lua's `string.lower` and SQLite's `lower()` do. */
const asciiLower = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** A count, oldest time and bytes as `DLQ.KEPT` returns them. */
function keptOf(count: unknown, oldest: unknown, bytes: unknown): KeptStats {
  return {
    count: Number(count),
    ...(oldest !== "" && oldest !== null && { oldest: Number(oldest) }),
    bytes: Number(bytes),
  };
}

/** A summary from the fields `LIST` reads, in its order. */
function summaryOf(
  [id, status, attempts, created, started, finished, error]: (string | null)[],
): JobSummary | undefined {
  if (!id) return undefined;
  const job: JobSummary = {
    id,
    status: status as JobStatus,
    attempts: Number(attempts),
    createdAt: Number(created),
  };
  if (started) job.startedAt = Number(started);
  if (finished) job.finishedAt = Number(finished);
  if (error) job.error = error;
  return job;
}

/** Jobs in Redis, shared by every replica pointed at the same database. */
export class RedisJobStore implements JobStore {
  #client;
  #ready: Promise<unknown>;
  /** Each job's output is a Redis stream: history and live from one cursor. */
  readonly output: OutputLog;

  constructor(url: string) {
    // Connection problems surface from the calls (and at start-up).
    this.#client = redisClient(url);
    this.#ready = this.#client.connect().then((client) =>
      client.eval(LAYOUT, { keys: [], arguments: [] })
    );
    this.output = redisOutputLog(this.#client, () => this.#ready);
  }

  async #eval(script: string, args: (string | number)[]): Promise<unknown> {
    await this.#ready;
    return await this.#client.eval(script, { keys: [], arguments: args.map(String) });
  }

  async insert(jobs: Job[]): Promise<void> {
    const args: (string | number)[] = [jobs.length];
    for (const j of jobs) {
      args.push(
        j.id,
        j.owner,
        PRIORITIES.indexOf(j.run.request.priority),
        j.createdAt,
        JSON.stringify(j.run),
        j.idempotencyKey ?? "",
      );
    }
    if (await this.#eval(INSERT, args) !== 1) {
      throw new Error("An Idempotency-Key of this submission was used meanwhile");
    }
  }

  async get(id: string): Promise<Job | undefined> {
    await this.#ready;
    return fromHash(await this.#client.hGetAll(`${P}job:${id}`) as Record<string, string>);
  }

  async byIdempotencyKey(owner: string, key: string): Promise<Job | undefined> {
    await this.#ready;
    const id = await this.#client.get(`${P}idem:${owner}:${key}`);
    return id ? await this.get(String(id)) : undefined;
  }

  async claim(
    now: number,
    leaseMs: number,
    skipKeys: readonly string[] = [],
  ): Promise<Job | undefined> {
    const id = await this.#eval(CLAIM, [now, now + leaseMs, ...skipKeys]);
    return typeof id === "string" ? await this.get(id) : undefined;
  }

  async markStarted(id: string, now: number): Promise<number | undefined> {
    const attempts = await this.#eval(START, [id, now]);
    return typeof attempts === "number" ? attempts : undefined;
  }

  async finish(
    id: string,
    from: JobStatus[],
    to: JobStatus,
    now: number,
    fields: FinishFields = {},
  ): Promise<boolean> {
    const result = fields.result === undefined ? "" : JSON.stringify(fields.result);
    const attempt = fields.attempt ? JSON.stringify(fields.attempt) : "";
    const args = [
      id,
      to,
      now,
      result,
      fields.error ?? "",
      fields.resultNote ?? "",
      attempt,
      ...from,
    ];
    return await this.#eval(FINISH, args) === 1;
  }

  async requeue(id: string, refund: boolean, attempt?: AttemptRecord): Promise<void> {
    await this.#eval(REQUEUE, [id, refund ? "1" : "0", attempt ? JSON.stringify(attempt) : ""]);
  }

  async retry(id: string): Promise<boolean> {
    return await this.#eval(RETRY, [id]) === 1;
  }

  async discard(id: string): Promise<boolean> {
    return await this.#eval(DLQ.DISCARD, [id]) === 1;
  }

  async deadLetters(q: DeadLetterQuery): Promise<{ letters: DeadLetterSummary[]; total: number }> {
    const [total, rows] = await this.#eval(DLQ.LIST, [
      q.state ?? "",
      q.tenant === undefined ? "" : ownerTenantPart(q.tenant),
      q.language ?? "",
      q.text === undefined ? "" : asciiLower(q.text),
      q.from ?? "",
      q.to ?? "",
      q.offset,
      q.limit,
    ]) as [number, string[][]];
    return { letters: rows.map(letterOf), total: Number(total) };
  }

  async deadLetterCounts(): Promise<DeadLetterCounts> {
    const [pending, retried, discarded] = await this.#eval(DLQ.COUNTS, []) as number[];
    return { pending, retried, discarded };
  }

  async deleteDeadLetters(before?: number): Promise<number> {
    return Number(await this.#eval(DLQ.DELETE, [before ?? ""]));
  }

  async keptStats(): Promise<{ jobs: KeptStats; deadLetters: KeptStats }> {
    const r = await this.#eval(DLQ.KEPT, []) as unknown[];
    return { jobs: keptOf(r[0], r[1], r[2]), deadLetters: keptOf(r[3], r[4], r[5]) };
  }

  async renew(ids: string[], until: number): Promise<void> {
    if (ids.length === 0) return;
    await this.#ready;
    await this.#client.zAdd(`${P}running`, ids.map((value) => ({ score: until, value })), {
      XX: true,
    } as never);
  }

  async recover(now: number, _atStart: boolean): Promise<number> {
    // Shared by replicas: only jobs whose lease ran out are taken over.
    return Number(await this.#eval(RECOVER, [now]));
  }

  async list(
    owner: string,
    status: JobStatus,
    limit: number,
    after?: JobCursor,
  ): Promise<JobPage> {
    // One more than asked tells whether another page follows.
    const rows = await this.#eval(LIST, [
      `${P}status:${owner}:${status}`,
      after?.createdAt ?? 0,
      after?.id ?? "",
      limit + 1,
    ]) as (string | null)[][];
    const more = rows.length > limit;
    const jobs = rows.slice(0, limit).map(summaryOf).filter((j): j is JobSummary => !!j);
    const last = jobs.at(-1);
    return more && last ? { jobs, next: { createdAt: last.createdAt, id: last.id } } : { jobs };
  }

  async resultBytes(owner: string): Promise<number> {
    await this.#ready;
    return Number(await this.#client.get(`${P}bytes:${owner}`) ?? 0);
  }

  async deleteFinishedBefore(before: number): Promise<number> {
    return Number(await this.#eval(EXPIRE, [before]));
  }

  /** How many jobs are queued and running, over every replica. */
  async activeCounts(): Promise<{ queued: number; running: number }> {
    await this.#ready;
    const [queued, running] = await Promise.all([
      this.#client.zCard(`${P}queue`),
      this.#client.zCard(`${P}running`),
    ]);
    return { queued: Number(queued), running: Number(running) };
  }

  async close(): Promise<void> {
    await this.#ready.catch(() => {});
    await closeRedis(this.#client);
  }
}
