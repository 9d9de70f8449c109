/**
 * The job store shared by replicas: Redis (`FAAS_JOB_STORE=redis://host:port/db`).
 *
 * A job is a hash; the queue is a sorted set by priority then age; running
 * jobs sit in a sorted set by lease expiry, which their replica renews every
 * second, so the jobs of a replica that died are queued again once their
 * lease runs out. Every change of status is one Lua script, so replicas
 * never claim the same job twice.
 */
import { createClient } from "redis";
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
  OutputChunk,
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
  return job;
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

/** How long a job's output stream outlives its last chunk, seconds. */
const OUTPUT_TTL_S = 3600;
/** How long it is kept once the attempt ended, seconds. */
const CLOSED_OUTPUT_TTL_S = 60;

/** Jobs in Redis, shared by every replica pointed at the same database. */
export class RedisJobStore implements JobStore {
  #client;
  #ready: Promise<unknown>;
  /** Each job's output is a Redis stream: history and live from one cursor. */
  readonly output: OutputLog;

  constructor(url: string) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls (and at start-up).
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect().then((client) =>
      client.eval(LAYOUT, { keys: [], arguments: [] })
    );
    const client = this.#client;
    const ready = () => this.#ready;
    const key = (id: string) => `${P}out:${id}`;
    this.output = {
      async reset(id: string): Promise<void> {
        await ready();
        await client.del(key(id));
      },
      async append(id: string, by: string, chunk: OutputChunk): Promise<void> {
        await ready();
        await client.multi()
          .xAdd(key(id), "*", { by, fd: String(chunk.fd), text: chunk.text })
          .expire(key(id), OUTPUT_TTL_S)
          .exec();
      },
      async close(id: string): Promise<void> {
        await ready();
        // The job's result holds the output; watchers read the rest within seconds.
        await client.expire(key(id), CLOSED_OUTPUT_TTL_S);
      },
      async read(id: string, cursor: string) {
        await ready();
        const entries = (await client.xRange(key(id), cursor === "0" ? "-" : `(${cursor}`, "+")) ??
          [];
        return {
          chunks: entries.filter((e) => e !== null).map((e) => ({
            by: String(e.message.by),
            fd: e.message.fd === "2" ? 2 as const : 1 as const,
            text: String(e.message.text),
          })),
          cursor: entries.at(-1)?.id ?? cursor,
        };
      },
    };
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
    await this.#ready;
    await this.#client.close();
  }
}
