/**
 * The instances of one runtime: a warm minimum started up front, growth on
 * demand (the scheduler decides when), replacement of hosts that die or
 * reach their run limit, shrinking after idle time, and backoff when hosts
 * fail to start.
 */
import type { Runtime } from "./protocol.ts";
import { type ExitReason, Instance, type InstanceSettings } from "./instance.ts";

/** Callbacks a pool reports through. */
export interface PoolHooks {
  /** An instance became idle (ready or done with a run). */
  onIdle(runtime: Runtime): void;
  /** A host started (reason: warm, demand, replace). */
  onStart(runtime: Runtime, reason: string): void;
  /** A host went away. */
  onExit(instance: Instance, reason: ExitReason): void;
}

/** Counts of a pool's instances by state. */
export interface PoolCounts {
  total: number;
  idle: number;
  busy: number;
  starting: number;
}

const MAX_BACKOFF_MS = 30_000;

/** Instances of one runtime. */
export class Pool {
  readonly runtime: Runtime;
  /** Instances kept alive even when idle. */
  readonly warm: number;
  #settings: InstanceSettings;
  #hooks: PoolHooks;
  #maxRuns: number;
  #instances = new Set<Instance>();
  #retryAt = 0;
  #retryTimer?: ReturnType<typeof setTimeout>;
  #closed = false;
  /** Whether an instance of this pool was ever ready. */
  everReady = false;
  /** Host starts that failed in a row (0 once one succeeds). */
  startFailures = 0;
  /** Why the last failed start failed. */
  lastStartError = "";

  constructor(
    runtime: Runtime,
    warm: number,
    maxRuns: number,
    settings: InstanceSettings,
    hooks: PoolHooks,
  ) {
    this.runtime = runtime;
    this.warm = warm;
    this.#maxRuns = maxRuns;
    this.#settings = settings;
    this.#hooks = hooks;
  }

  /** Starts the warm instances. */
  start(): void {
    for (let i = 0; i < this.warm; i++) this.#spawn("warm");
  }

  /** The live instances (for inspection; the scheduler uses takeIdle). */
  instances(): Instance[] {
    return [...this.#instances];
  }

  /** Counts by state. */
  counts(): PoolCounts {
    const counts = { total: 0, idle: 0, busy: 0, starting: 0 };
    for (const instance of this.#instances) {
      counts.total++;
      if (instance.state === "idle") counts.idle++;
      else if (instance.state === "busy") counts.busy++;
      else if (instance.state === "starting") counts.starting++;
    }
    return counts;
  }

  /** The most recently used idle instance: its caches are the warmest. */
  takeIdle(): Instance | undefined {
    let best: Instance | undefined;
    for (const instance of this.#instances) {
      if (instance.state === "idle" && (!best || instance.idleSince > best.idleSince)) {
        best = instance;
      }
    }
    return best;
  }

  /** Whether a new host may start now (not backing off after failures). */
  canGrow(now = performance.now()): boolean {
    return !this.#closed && now >= this.#retryAt;
  }

  /** Starts one more instance for queued work. */
  grow(): void {
    if (this.canGrow()) this.#spawn("demand");
  }

  /** Takes back an instance after a run, replacing it at its run limit. */
  release(instance: Instance): void {
    if (instance.state !== "idle") return;
    if (instance.runs >= this.#runLimit(instance)) {
      instance.retire("recycled");
      return;
    }
    this.#hooks.onIdle(this.runtime);
  }

  /**
   * An instance's run limit, spread by up to 10 % per instance so that
   * instances started together are not all replaced at the same moment.
   */
  #runLimit(instance: Instance): number {
    const spread = [...instance.id].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) / 10000;
    return Math.max(1, Math.round(this.#maxRuns * (1 - spread)));
  }

  /** Stops one idle instance beyond the warm count, to make room elsewhere. */
  retireSpareIdle(): boolean {
    if (this.#instances.size <= this.warm) return false;
    const idle = [...this.#instances].find((i) => i.state === "idle");
    if (!idle) return false;
    idle.retire("idle");
    return true;
  }

  /** Stops instances beyond the warm count that sat idle for `idleMs`. */
  shrink(idleMs: number, now = performance.now()): void {
    let spare = this.#instances.size - this.warm;
    for (const instance of this.#instances) {
      if (spare <= 0) return;
      if (instance.state === "idle" && now - instance.idleSince >= idleMs) {
        instance.retire("idle");
        spare--;
      }
    }
  }

  /** Kills every host and starts no more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const exits = [...this.#instances].map((i) => {
      i.kill("shutdown");
      return i.exited;
    });
    await Promise.all(exits);
  }

  #spawn(reason: string): void {
    const instance = new Instance(this.runtime, this.#settings);
    this.#instances.add(instance);
    this.#hooks.onStart(this.runtime, reason);
    instance.ready.then(() => {
      this.startFailures = 0;
      this.everReady = true;
      this.#hooks.onIdle(this.runtime);
    }, (err: Error) => {
      // Back off so a host that cannot start (assets unreadable, say) is
      // not restarted in a hot loop.
      this.startFailures++;
      this.lastStartError = err.message;
      const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** (this.startFailures - 1));
      this.#retryAt = performance.now() + delay;
    });
    instance.exited.then((reason) => {
      this.#instances.delete(instance);
      this.#hooks.onExit(instance, reason);
      this.#refill();
    });
  }

  /** Brings the pool back to its warm count, after any backoff. */
  #refill(): void {
    if (this.#closed || this.#instances.size >= this.warm) return;
    const wait = this.#retryAt - performance.now();
    if (wait > 0) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#refill(), wait);
      return;
    }
    while (this.#instances.size < this.warm) this.#spawn("replace");
  }
}
