/**
 * Runs stored jobs through the scheduler: takes queued jobs (highest
 * priority, oldest first) while fewer than `concurrency` are in flight
 * and its API key has room for another run,
 * records each result (cut to the result limits), retries runs the service
 * failed (a host that died for a reason other than the run's own timeout or
 * memory), and the outcomes the job itself asked to retry (`retry_on`), up
 * to its `maxAttempts` and then declares them dead, cancels on
 * request, and forgets finished jobs after `ttlMs`. An attempt counts only
 * once the run reached a sandbox: a job claimed and then lost (the service
 * killed, a lease run out) before that has not used one.
 */
import {
  CancelledError,
  ClientGoneError,
  QueueFullError,
  UnavailableError,
} from "../core/errors.ts";
import type { KeyUsage } from "../scheduler/key_usage.ts";
import type { RunRequest, ScheduledResult, Scheduler } from "../scheduler/scheduler.ts";
import type {
  AttemptRecord,
  FinishFields,
  Job,
  JobRun,
  JobStatus,
  JobStore,
  OutputChunk,
} from "./types.ts";
import { accountOfOwner, keyOfOwner } from "./owner.ts";
import { type ResultLimits, resultToStore } from "./result_cap.ts";
import { isRetried } from "./retry_policy.ts";
export type { OutputChunk } from "./types.ts";

/** How the runner behaves. */
export interface RunnerOptions {
  concurrency: number;
  maxAttempts: number;
  ttlMs: number;
  /** How long done and cancelled jobs are kept now, ms, when it may change; else `ttlMs`. */
  currentTtlMs?: () => number;
  /**
   * Runs in progress per API key, shared with `/run_code`: a job of a key
   * at its limit waits in the queue (without holding back other keys' jobs).
   */
  keyUsage?: Pick<KeyUsage, "start" | "end" | "saturated">;
  /** Builds the `/run_code` body of a finished run. */
  respond(run: JobRun, scheduled: ScheduledResult): unknown;
  /** What a stored result may take, per job and per owner; unlimited without. */
  resultLimits?: ResultLimits;
  /**
   * Counts a job's run toward its tenant's runs in progress (quotas) while
   * it runs; what to call when it ends. It never refuses the run.
   */
  trackRun?(request: RunRequest): Promise<() => void>;
  now?: () => number;
}

/** How long a claimed job stays with its replica without a renewal, ms. */
const LEASE_MS = 10_000;
/** How often a waiter looks at the store again, ms (a job may run on another replica). */
const POLL_MS = 250;
/** How often a watcher reads output written by other replicas, ms. */
const OUTPUT_POLL_MS = 100;

const FINISHED: ReadonlySet<JobStatus> = new Set(["done", "cancelled", "dead"]);

/** Whether a job will not change any more (unless a dead one is retried). */
export function isFinished(status: JobStatus): boolean {
  return FINISHED.has(status);
}

/** Drives jobs from the store to the scheduler and back. */
export class JobRunner {
  #store: JobStore;
  #scheduler: Scheduler;
  #opts: RunnerOptions;
  #now: () => number;
  #running = new Map<string, AbortController>();
  #waiters = new Map<string, Set<() => void>>();
  #timer: ReturnType<typeof setInterval>;
  #closed = false;
  #inFlight = new Set<Promise<void>>();
  #pumping = false;
  #backoffUntil = 0;
  #pumpAgain = false;
  #started: Promise<void>;
  /** Output of the current attempts of the jobs running here. */
  #live = new Map<string, OutputChunk[]>();
  /** Who watches a job's output here, whichever attempt runs where. */
  #watchers = new Map<string, Set<(c: OutputChunk) => void>>();
  /** This runner's name in a shared output log. */
  #replica = crypto.randomUUID().slice(0, 8);
  /** Results being stored, per owner, one after another (see `#storeResult`). */
  #storing = new Map<string, Promise<void>>();

  constructor(store: JobStore, scheduler: Scheduler, options: RunnerOptions) {
    this.#store = store;
    this.#scheduler = scheduler;
    this.#opts = options;
    this.#now = options.now ?? Date.now;
    // What was running when the service last stopped runs again.
    this.#started = store.recover(this.#now(), true).then(() => this.pump()).catch(() => {});
    this.#timer = setInterval(() => this.#tick().catch(() => {}), Math.min(1000, options.ttlMs));
  }

  /** Housekeeping every second: expiry, leases, cancellations from elsewhere, the queue. */
  async #tick(): Promise<void> {
    const now = this.#now();
    await this.#store.deleteFinishedBefore(now - (this.#opts.currentTtlMs?.() ?? this.#opts.ttlMs));
    const mine = [...this.#running.keys()];
    await this.#store.renew(mine, now + LEASE_MS);
    await this.#store.recover(now, false);
    // A job cancelled through another replica is stopped here.
    for (const id of mine) {
      const job = await this.#store.get(id);
      if (job && job.status !== "running") this.#running.get(id)?.abort(new CancelledError());
    }
    await this.pump();
  }

  /** Queues new jobs (all or none) and starts what capacity allows. */
  async submit(jobs: Job[]): Promise<void> {
    await this.#store.insert(jobs);
    this.pump().catch(() => {});
  }

  /** Takes queued jobs while capacity allows. */
  async pump(): Promise<void> {
    // After the scheduler refused a job (starting, full, draining), wait
    // for the periodic pump instead of claiming it straight back.
    if (this.#now() < this.#backoffUntil) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        const full = new Set(this.#opts.keyUsage?.saturated());
        while (
          !this.#closed && this.#running.size < this.#opts.concurrency &&
          this.#now() >= this.#backoffUntil
        ) {
          const job = await this.#store.claim(this.#now(), LEASE_MS, [...full]);
          if (!job) break;
          const key = keyOfOwner(job.owner);
          if (this.#opts.keyUsage && !this.#opts.keyUsage.start(key)) {
            // Its key filled up meanwhile (a /run_code request); the run
            // never started, so no attempt was counted.
            await this.#store.requeue(job.id, false);
            full.add(key);
            continue;
          }
          this.#run(job);
        }
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  #run(job: Job): void {
    const done = this.#attempt(job);
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
  }

  async #attempt(job: Job): Promise<void> {
    const live: OutputChunk[] = [];
    this.#live.set(job.id, live);
    const log = this.#store.output;
    // Appends stay in order behind the reset: one connection, in sequence.
    let logged = log ? log.reset(job.id).catch(() => {}) : Promise.resolve();
    job.run.request.onOutput = (fd, text) => {
      const chunk = { fd, text };
      live.push(chunk);
      for (const listener of this.#watchers.get(job.id) ?? []) listener(chunk);
      if (log) logged = logged.then(() => log.append(job.id, this.#replica, chunk)).catch(() => {});
    };
    // The attempt counts once the run reached a sandbox, not at the claim:
    // waiting in the scheduler's queue, a run may still be lost with the service.
    let started: Promise<number | undefined> | undefined;
    let startedAt: number | undefined;
    job.run.request.onStart = () => {
      startedAt ??= this.#now();
      started ??= this.#store.markStarted(job.id, startedAt).catch(() => undefined);
    };
    const attempts = async () =>
      started === undefined ? job.attempts : (await started) ?? job.attempts + 1;
    // What this attempt was, for the job's history (an attempt only once it started).
    let record: Omit<AttemptRecord, "attempt" | "finishedAt"> | undefined;
    const controller = new AbortController();
    this.#running.set(job.id, controller);
    this.#notify(job.id);
    let to: JobStatus;
    let fields: FinishFields = {};
    let refused = false;
    job.run.request.account ??= accountOfOwner(job.owner);
    const untrack = await this.#opts.trackRun?.(job.run.request).catch(() => undefined);
    try {
      const scheduled = await this.#scheduler.submit(job.run.request, controller.signal);
      const { status, error, instanceId: instance } = scheduled.result;
      if (controller.signal.aborted) {
        to = "cancelled";
        record = { outcome: "cancelled", runStatus: status, instance };
      } else if (isRetried(status, job.run.retryOn)) {
        // The host died under the run (not through the run's own limits),
        // or the run ended in a way its job asked to retry.
        const { exception } = scheduled.result;
        const why = error ?? (exception ? `${exception.type}: ${exception.message}` : undefined) ??
          (status === "killed" ? "The sandbox died" : `The run ended with status ${status}`);
        [to, fields] = this.#failed(job, await attempts(), why);
        record = { outcome: "failed", runStatus: status, error: why, instance };
      } else {
        to = "done";
        fields = { result: this.#opts.respond(job.run, scheduled) };
        record = { outcome: "done", runStatus: status, ...(error && { error }), instance };
      }
    } catch (err) {
      if (controller.signal.aborted || err instanceof ClientGoneError) {
        to = "cancelled";
        record = { outcome: "cancelled" };
      } else if (err instanceof QueueFullError || err instanceof UnavailableError) {
        // Not the job's fault and not an attempt: back in line.
        to = "queued";
        refused = true;
        this.#backoffUntil = this.#now() + 500;
      } else {
        [to, fields] = this.#failed(job, await attempts(), (err as Error).message);
        record = { outcome: "failed", error: (err as Error).message };
      }
    }
    untrack?.();
    // The attempt is recorded before its outcome.
    const count = await started;
    const attempt: AttemptRecord | undefined = started && record && !refused
      ? {
        attempt: count ?? job.attempts + 1,
        ...(startedAt !== undefined && { startedAt }),
        finishedAt: this.#now(),
        ...record,
      }
      : undefined;
    this.#running.delete(job.id);
    this.#live.delete(job.id);
    // Every chunk is in the shared log before the outcome: a watcher on
    // another replica reads them all once it sees the job finished.
    await logged;
    if (log) log.close(job.id).catch(() => {});
    try {
      // A refused run is not an attempt, even one refused after it started.
      if (to === "queued") {
        await this.#store.requeue(job.id, refused && started !== undefined, attempt);
      } else if (fields.result !== undefined) {
        await this.#storeResult(job, fields.result, attempt);
      } else await this.#store.finish(job.id, ["running"], to, this.#now(), { ...fields, attempt });
    } finally {
      // The key's run ends once its outcome is recorded, so a next job of
      // the key never starts before this one is seen to finish.
      this.#opts.keyUsage?.end(keyOfOwner(job.owner));
      this.#notify(job.id);
    }
    // A refused job waits for the periodic pump rather than spinning.
    if (to !== "queued") this.pump().catch(() => {});
  }

  /** Dead once the attempts since its last retry reach its limit, else queued again. */
  #failed(job: Job, attempts: number, error: string): [JobStatus, FinishFields] {
    const since = attempts - (job.retryBase ?? 0);
    return since >= (job.run.maxAttempts ?? this.#opts.maxAttempts)
      ? ["dead", { error: `Failed ${since} times; last: ${error}` }]
      : ["queued", {}];
  }

  /**
   * Records a done job's result, cut to the result limits. An owner's
   * results are stored one after another, so two finishing together cannot
   * both take the last of its budget (other replicas may, by one result each).
   */
  async #storeResult(job: Job, result: unknown, attempt?: AttemptRecord): Promise<void> {
    const limits = this.#opts.resultLimits;
    const before = this.#storing.get(job.owner) ?? Promise.resolve();
    const turn = before.then(async () => {
      const fields = limits
        ? resultToStore(result, limits, await this.#store.resultBytes(job.owner))
        : { result };
      await this.#store.finish(job.id, ["running"], "done", this.#now(), { ...fields, attempt });
    });
    const settled = turn.catch(() => {});
    this.#storing.set(job.owner, settled);
    settled.then(() => {
      if (this.#storing.get(job.owner) === settled) this.#storing.delete(job.owner);
    });
    await turn;
  }

  /** Cancels a queued or running job; its status afterwards, or undefined if unknown. */
  async cancel(id: string): Promise<JobStatus | undefined> {
    if (await this.#store.finish(id, ["queued"], "cancelled", this.#now())) {
      this.#notify(id);
      return "cancelled";
    }
    const running = this.#running.get(id);
    if (running) {
      running.abort(new CancelledError());
      return "cancelled";
    }
    // Running on another replica: it sees the status and stops the run.
    if (await this.#store.finish(id, ["running"], "cancelled", this.#now())) return "cancelled";
    return (await this.#store.get(id))?.status;
  }

  /** Queues a dead job again; whether it was dead. */
  async retry(id: string): Promise<boolean> {
    const ok = await this.#store.retry(id);
    if (ok) {
      this.#notify(id);
      this.pump().catch(() => {});
    }
    return ok;
  }

  /**
   * Output of the job's current attempt so far (when it runs here), and
   * `listener` for what follows, from whichever replica runs it, until
   * `stop()`. `settle()` delivers what other replicas wrote up to now; call
   * it once the job finished, before `stop()`.
   */
  watch(
    id: string,
    listener: (chunk: OutputChunk) => void,
  ): { chunks: OutputChunk[]; settle(): Promise<void>; stop(): void } {
    const set = this.#watchers.get(id) ?? new Set();
    this.#watchers.set(id, set);
    set.add(listener);
    const log = this.#store.output;
    let timer: ReturnType<typeof setInterval> | undefined;
    let cursor = "0";
    let pulled = Promise.resolve();
    const pull = () => {
      pulled = pulled.then(async () => {
        if (!log) return;
        const { chunks, cursor: next } = await log.read(id, cursor);
        cursor = next;
        // What this replica wrote reached the listener already.
        for (const c of chunks) if (c.by !== this.#replica) listener({ fd: c.fd, text: c.text });
      }).catch(() => {});
      return pulled;
    };
    if (log) timer = setInterval(pull, OUTPUT_POLL_MS);
    const stop = () => {
      clearInterval(timer);
      set.delete(listener);
      if (set.size === 0) this.#watchers.delete(id);
    };
    return { chunks: [...(this.#live.get(id) ?? [])], settle: pull, stop };
  }

  /**
   * Resolves when the job is no longer queued or running, after `ms`, or
   * once `signal` aborts (the caller went away), with the job as it is then.
   */
  async wait(id: string, ms: number, signal?: AbortSignal): Promise<Job | undefined> {
    const deadline = this.#now() + ms;
    for (;;) {
      const job = await this.#store.get(id);
      if (!job || isFinished(job.status) || this.#now() >= deadline || signal?.aborted) {
        return job;
      }
      // Woken by a change here, or after a while (another replica may run it).
      await new Promise<void>((resolve) => {
        const set = this.#waiters.get(id) ?? new Set();
        this.#waiters.set(id, set);
        const wake = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", wake);
          set.delete(wake);
          if (set.size === 0) this.#waiters.delete(id);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, Math.min(POLL_MS, deadline - this.#now())));
        signal?.addEventListener("abort", wake);
        set.add(wake);
      });
    }
  }

  #notify(id: string): void {
    for (const wake of [...(this.#waiters.get(id) ?? [])]) wake();
  }

  /** Stops taking jobs; runs in flight end with the scheduler's drain. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const set of this.#waiters.values()) for (const wake of [...set]) wake();
  }

  /** Resolves once every job in flight has its outcome recorded. */
  async settled(): Promise<void> {
    await this.#started;
    await Promise.allSettled([...this.#inFlight]);
  }
}
