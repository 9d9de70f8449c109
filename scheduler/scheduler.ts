/**
 * The scheduler: admits runs into a bounded priority queue per runtime and
 * dispatches each to an idle host, where the pool picks the instance of the
 * run's isolation key. It grows a pool (within the host cap) when every host
 * is held by a long run. It owns the pools and is the only caller of them.
 */
import {
  CancelledError,
  ClientGoneError,
  QueueFullError,
  QueueTimeoutError,
  SessionLostError,
  UnavailableError,
} from "../core/errors.ts";
import type { Host, RunResult } from "../sandbox/host.ts";
import type { Placement, Pool } from "../sandbox/pool.ts";
import { SESSION_HOST_ESTIMATE_BYTES } from "../sandbox/memory_budget.ts";
import { type Runtime, runtimeOf } from "../protocol/host_messages.ts";
import { PRIORITIES, type Priority, PriorityQueue } from "./priority_queue.ts";
import { decideGrowth } from "./pool_growth.ts";
import { runMessage } from "./run_message.ts";
import type {
  RunRequest,
  ScheduledResult,
  SchedulerHooks,
  SchedulerLimits,
  SchedulerStats,
} from "./types.ts";

export type {
  RunPhases,
  RunRequest,
  ScheduledResult,
  SchedulerHooks,
  SchedulerLimits,
  SchedulerStats,
} from "./types.ts";

interface Job {
  taskId: string;
  runtime: Runtime;
  priority: Priority;
  enqueuedAt: number;
  request: RunRequest;
  resolve(value: ScheduledResult): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: ReturnType<typeof setTimeout>;
  host?: Host;
  /** Times its instance failed to start under it. */
  startFailures: number;
}

let nextRun = 1;

/**
 * How long every host must have been held by its current run before the
 * pool grows, ms. Short runs queue for a few ms under load, and a new host
 * (a new process, its code cold) would only slow them down; long runs
 * (sleeping, waiting) are what more hosts help.
 */
const GROW_AFTER_MS = 50;

/** How soon to look again at growing when the hosts' reports are not in yet, ms. */
const LOOK_AGAIN_MS = 100;

/** How often a run may go back to the queue because its instance failed to start. */
const MAX_START_FAILURES = 2;

/** Priority scheduler in front of the pools. */
export class Scheduler {
  #pools: Record<Runtime, Pool>;
  #limits: SchedulerLimits;
  #hooks: SchedulerHooks;
  #queues: Record<Runtime, PriorityQueue<Job>>;
  #running = new Set<Job>();
  #accepting = true;
  #completed = 0;
  #failed = 0;
  #totalExecMs = 0;
  #shrinkTimer: ReturnType<typeof setInterval>;
  #idleWaiters: (() => void)[] = [];
  #growTimers: Record<Runtime, ReturnType<typeof setTimeout> | undefined> = {
    python: undefined,
    javascript: undefined,
  };

  constructor(pools: Record<Runtime, Pool>, limits: SchedulerLimits, hooks: SchedulerHooks = {}) {
    this.#pools = pools;
    this.#limits = limits;
    this.#hooks = hooks;
    this.#queues = {
      python: new PriorityQueue<Job>(limits.agingMs),
      javascript: new PriorityQueue<Job>(limits.agingMs),
    };
    this.#shrinkTimer = setInterval(() => {
      for (const pool of Object.values(this.#pools)) pool.shrink(limits.idleTimeoutMs);
    }, Math.min(limits.idleTimeoutMs, 5000));
  }

  /** Whether every runtime has had a warm instance (start-up is over). */
  get started(): boolean {
    return Object.values(this.#pools).every((p) => p.everReady);
  }

  /** Whether new runs are still accepted. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /**
   * Tells the scheduler an instance of `runtime` failed to start: when the
   * runtime can no longer serve, the runs queued for it fail now.
   */
  startFailed(runtime: Runtime): void {
    const failure = this.#pools[runtime].failure();
    if (failure === undefined) return;
    let job: Job | undefined;
    while ((job = this.#queues[runtime].pop(performance.now()))) {
      this.#detach(job);
      job.reject(new UnavailableError(cannotServe(runtime, failure)));
    }
  }

  /** Tells the scheduler an instance of `runtime` became idle. */
  instanceIdle(runtime: Runtime): void {
    this.#pump(runtime);
  }

  /** Queues a run; resolves when it finished. */
  submit(request: RunRequest, signal?: AbortSignal): Promise<ScheduledResult> {
    if (!this.#accepting) {
      this.#hooks.onRejected?.("unavailable");
      return Promise.reject(new UnavailableError("Service is shutting down"));
    }
    const runtime = runtimeOf(request.language);
    // A runtime whose starts keep failing answers at once, naming why,
    // rather than after the longest queue wait.
    const failure = this.#pools[runtime].failure();
    if (failure !== undefined) {
      this.#hooks.onRejected?.("unavailable");
      return Promise.reject(new UnavailableError(cannotServe(runtime, failure)));
    }
    // A runtime that never came up (its hosts keep failing to start) must
    // not hold back the other one.
    if (!this.#pools[runtime].everReady) {
      this.#hooks.onRejected?.("unavailable");
      return Promise.reject(
        new UnavailableError(`Service is starting; no ${runtime} instance is warm yet`),
      );
    }
    if (signal?.aborted) return Promise.reject(new ClientGoneError());
    // The queue bounds runs waiting for a shared host: a session's run
    // waits for its own host, one at a time (the session serializes them).
    const pool = this.#pools[runtime];
    if (
      this.#queuedTotal() >= this.#limits.maxQueue && !pool.placeable(request.key) &&
      !pool.hasOwnHost(request.key)
    ) {
      this.#hooks.onRejected?.("queue_full");
      return Promise.reject(new QueueFullError(this.#limits.maxQueue));
    }
    return new Promise((resolve, reject) => {
      this.#enqueue({
        taskId: crypto.randomUUID(),
        runtime,
        priority: request.priority,
        enqueuedAt: performance.now(),
        request,
        resolve,
        reject,
        signal,
        startFailures: 0,
      });
    });
  }

  /** Puts `job` in its queue, with its queue-wait timer and abort handler. */
  #enqueue(job: Job): void {
    const waitedMs = performance.now() - job.enqueuedAt;
    job.timer = setTimeout(() => {
      if (this.#queues[job.runtime].remove(job)) {
        this.#detach(job);
        this.#hooks.onRejected?.("queue_timeout");
        job.reject(new QueueTimeoutError(performance.now() - job.enqueuedAt));
      }
    }, Math.max(0, this.#limits.maxQueueWaitMs - waitedMs));
    if (job.signal) {
      job.onAbort = () => this.#abort(job);
      job.signal.addEventListener("abort", job.onAbort, { once: true });
    }
    this.#queues[job.runtime].push(job);
    this.#hooks.onQueued?.(job.priority);
    this.#pump(job.runtime);
  }

  #abort(job: Job): void {
    // A job cancelled by its owner, or a caller that hung up.
    const why = abortReason(job);
    if (this.#queues[job.runtime].remove(job)) {
      this.#detach(job);
      this.#hooks.onRejected?.(why);
      job.reject(new ClientGoneError());
    } else if (job.host) {
      job.host.stop(why);
    }
  }

  #detach(job: Job): void {
    clearTimeout(job.timer);
    if (job.onAbort) job.signal?.removeEventListener("abort", job.onAbort);
  }

  /** Dispatches queued runs of `runtime` to idle hosts; grows if needed. */
  #pump(runtime: Runtime): void {
    const queue = this.#queues[runtime];
    const pool = this.#pools[runtime];
    while (queue.size > 0 && pool.hasIdleHost()) {
      const job = queue.popReady(performance.now(), (j) => pool.placeable(j.request.key));
      // Only session runs waiting for their busy instance are left.
      if (!job) return;
      const lost = job.request.persist ? pool.lostReason(job.request.key) : undefined;
      if (lost !== undefined) {
        this.#detach(job);
        job.reject(new SessionLostError(lost));
        continue;
      }
      this.#dispatch(job, pool.place(job.request.key)!, pool);
    }
    if (queue.size === 0) return;
    const busyMs = pool.youngestBusyMs() ?? 0;
    let lookAgainMs = GROW_AFTER_MS - busyMs;
    if (busyMs >= GROW_AFTER_MS) {
      if (!this.#growFor(runtime)) return;
      lookAgainMs = LOOK_AGAIN_MS;
    }
    if (!this.#growTimers[runtime]) {
      this.#growTimers[runtime] = setTimeout(() => {
        this.#growTimers[runtime] = undefined;
        this.#pump(runtime);
      }, lookAgainMs);
    }
  }

  /**
   * Starts another host when runs wait and none is on its way. Returns
   * whether to look again shortly: the hosts have not reported yet how busy
   * their runs keep the cores.
   */
  #growFor(runtime: Runtime): boolean {
    const pool = this.#pools[runtime];
    const growth = decideGrowth(runtime, this.#pools, {
      waiting: (matches) => this.#queues[runtime].some((job) => matches(job.request.key)),
      totalHosts: this.#totalHosts(),
      maxHosts: this.#limits.maxHosts,
      cores: this.#limits.cores,
    });
    if (growth === "grow") pool.grow();
    else if (growth === "make_room") {
      // At the cap: an idle host of the other runtime makes room.
      const other = this.#pools[runtime === "python" ? "javascript" : "python"];
      if (other.retireSpareIdle()) pool.grow();
    }
    return growth === "look_again";
  }

  async #dispatch(job: Job, placement: Placement, pool: Pool): Promise<void> {
    this.#detach(job);
    const dispatchedAt = performance.now();
    const queueMs = dispatchedAt - job.enqueuedAt;
    let sentAt = dispatchedAt;
    this.#hooks.onDispatched?.(job.priority, queueMs);
    const { host, instance } = placement;
    job.host = host;
    this.#running.add(job);
    if (job.signal && job.onAbort) {
      job.signal.addEventListener("abort", job.onAbort, { once: true });
    }
    const r = job.request;
    const id = nextRun;
    // Run ids share an int32 slot with the worker; wrap before overflow.
    nextRun = nextRun >= 0x7fffffff ? 1 : nextRun + 1;
    let result: RunResult;
    try {
      // A new instance, or a spare still starting: the host is held meanwhile.
      try {
        await instance.ready;
      } catch (err) {
        // The run never reached the instance, so it is not at fault: it
        // goes back to the queue for another instance, a bounded number of
        // times (a start that keeps failing must not loop forever).
        if (job.startFailures < MAX_START_FAILURES && this.#accepting && !job.signal?.aborted) {
          job.startFailures++;
          this.#running.delete(job);
          this.#detach(job);
          job.host = undefined;
          pool.release(placement);
          this.#enqueue(job);
          this.#notifyIdle();
          return;
        }
        throw err;
      }
      if (job.signal?.aborted) throw new ClientGoneError();
      sentAt = performance.now();
      const msg = runMessage(instance.wid, id, r, this.#limits.maxOutputBytes);
      const running = host.run(instance, msg, r.onOutput);
      // The run is with the worker now (`run` throws before sending it if not).
      r.onStart?.();
      result = await running;
    } catch (err) {
      this.#running.delete(job);
      this.#detach(job);
      pool.release(placement);
      this.#notifyIdle();
      if (err instanceof ClientGoneError) {
        this.#hooks.onRejected?.(abortReason(job));
        job.reject(err);
      } else {
        job.reject(
          new UnavailableError(
            `The sandbox for this run could not start: ${(err as Error).message}`,
          ),
        );
      }
      return;
    }
    const phases = {
      queueMs,
      startMs: sentAt - dispatchedAt,
      runMs: performance.now() - sentAt,
    };
    this.#running.delete(job);
    this.#detach(job);
    this.#completed++;
    if (result.status !== "success") this.#failed++;
    this.#totalExecMs += result.durationMs;
    this.#hooks.onFinished?.(
      r.language,
      result,
      phases,
      { taskId: job.taskId, request: r },
      placement.via,
    );
    job.resolve({ result, taskId: job.taskId, queueMs, via: placement.via, phases });
    pool.release(placement);
    this.#notifyIdle();
  }

  #queuedTotal(): number {
    return this.#queues.python.size + this.#queues.javascript.size;
  }

  #totalHosts(): number {
    return this.#pools.python.counts().total + this.#pools.javascript.counts().total;
  }

  /**
   * Why the instance of session key `key` is gone (its host died, it failed
   * or retired); undefined while it lives or before its first run.
   */
  sessionLost(key: string): string | undefined {
    return this.#pools.python.lostReason(key) ?? this.#pools.javascript.lostReason(key);
  }

  /**
   * Memory the host of session key `key` takes: as its host last reported,
   * else an estimate for a host of `runtime` (before its first run).
   */
  sessionBytes(key: string, runtime: Runtime): number {
    return this.#pools[runtime].sessionHostBytes(key) ?? SESSION_HOST_ESTIMATE_BYTES[runtime];
  }

  /** Starts the host and instance of a new session key `key` of `runtime`, ahead of its runs. */
  openSession(key: string, runtime: Runtime): void {
    this.#pools[runtime].openSession(key);
  }

  /** Ends the instance of session key `key`, now or after its run. */
  endSession(key: string): void {
    this.#pools.python.dropKey(key);
    this.#pools.javascript.dropKey(key);
  }

  /** Queue depth by priority, all runtimes together. */
  queuedByPriority(): Record<Priority, number> {
    const out = {} as Record<Priority, number>;
    for (const p of PRIORITIES) {
      out[p] = this.#queues.python.sizeOf(p) + this.#queues.javascript.sizeOf(p);
    }
    return out;
  }

  /** Statistics for /health. */
  stats(): SchedulerStats {
    return {
      queued: this.queuedByPriority(),
      running: this.#running.size,
      completed: this.#completed,
      failed: this.#failed,
      meanExecutionMs: this.#completed ? this.#totalExecMs / this.#completed : 0,
    };
  }

  #notifyIdle(): void {
    if (this.#running.size > 0 || this.#queuedTotal() > 0) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /**
   * Stops taking runs and waits up to `graceMs` for queued and running ones
   * to finish; whatever is still running then is ended with the hosts.
   */
  async drain(graceMs: number): Promise<void> {
    this.#accepting = false;
    clearInterval(this.#shrinkTimer);
    for (const timer of Object.values(this.#growTimers)) clearTimeout(timer);
    if (this.#running.size > 0 || this.#queuedTotal() > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
    }
    for (const queue of Object.values(this.#queues)) {
      let job: Job | undefined;
      while ((job = queue.pop(performance.now()))) {
        this.#detach(job);
        job.reject(new UnavailableError("Service shut down before the run started"));
      }
    }
    await Promise.all(Object.values(this.#pools).map((p) => p.close()));
  }
}

/** Why a run's signal was aborted: its owner cancelled it, or its caller left. */
function abortReason(job: Job): "cancelled" | "client_gone" {
  return job.signal?.reason instanceof CancelledError ? "cancelled" : "client_gone";
}

function cannotServe(runtime: Runtime, failure: string): string {
  return `No ${runtime} instance can start (${failure}); ${runtime} runs are refused until one does`;
}
