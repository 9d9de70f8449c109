/**
 * The hosts of one runtime and the instances they hold, by isolation key.
 *
 * Hosts are the concurrency: each runs one run at a time. Instances are the
 * warm state: a run goes to an idle host holding an idle instance of its
 * key, else to an idle host's spare (which takes the key for life), else to
 * a new worker started on an idle host. Each host keeps a spare ready, so a
 * new key rarely waits for a start. Instances whose key can never come back
 * (single-use keys), that reached their run limit, or that asked to retire
 * are dropped after their run; idle ones are dropped after the idle timeout
 * or, least recently used first, when memory runs over the budget.
 *
 * A session's instance gets a host of its own (a dedicated host), started
 * when the session is made: a kill of a host (a memory bomb past its cap, a
 * run that would not stop) then ends only the session whose run caused it,
 * never another caller's session. Dedicated hosts keep no spares, take no
 * other key's runs, do not count towards the pool's size, and stop when
 * their session ends. Should a session's host fail to start, its first run
 * takes an idle shared host for its own instead.
 */
import type { Runtime } from "../protocol/host_messages.ts";
import { Host, type HostedInstance, type HostSettings } from "./host.ts";
import { isSessionKey } from "../core/isolation_key.ts";
import { hostLossReason, SessionLosses } from "./session_losses.ts";
import { SpareDemand } from "./spare_demand.ts";
import {
  chooseSpare,
  countSpares,
  liveSharedHosts,
  sparesToStart,
  surplusSpares,
} from "./spares.ts";
import { dropAfterRun } from "./run_end_drop.ts";
import { StartBackoff } from "./start_backoff.ts";
import { countHosts, countInstances } from "./pool_counts.ts";
import { KeyIndex } from "./key_index.ts";
import * as load from "./pool_load.ts";
import {
  countSessionHosts,
  endDedicated,
  endSessionHost,
  holdsSession,
  ownHost,
} from "./session_hosts.ts";

import type {
  DropReason,
  InstanceCounts,
  Placement,
  PoolCounts,
  PoolHooks,
  PoolOptions,
} from "./pool_types.ts";
export type * from "./pool_types.ts";

/** Hosts and instances of one runtime. */
export class Pool {
  readonly runtime: Runtime;
  /** Hosts kept alive even when idle. */
  readonly warm: number;
  #settings: HostSettings;
  #hooks: PoolHooks;
  #options: PoolOptions;
  #hosts = new Set<Host>();
  #index = new KeyIndex();
  #backoff = new StartBackoff();
  #retryTimer?: ReturnType<typeof setTimeout>;
  #closed = false;
  #demand = new SpareDemand();
  #losses = new SessionLosses();
  /** Busy instances whose session ended: dropped after their run, no loss noted. */
  #ended = new WeakSet<HostedInstance>();
  /** Whether an instance of this pool was ever ready. */
  everReady = false;

  constructor(runtime: Runtime, options: PoolOptions, settings: HostSettings, hooks: PoolHooks) {
    this.runtime = runtime;
    this.warm = options.warmHosts;
    this.#options = options;
    this.#settings = settings;
    this.#hooks = hooks;
  }

  /** Host and instance starts that failed in a row (0 once one succeeds). */
  get startFailures(): number {
    return this.#backoff.failures;
  }

  /** Why the last failed start failed. */
  get lastStartError(): string {
    return this.#backoff.lastError;
  }

  /** Starts the warm hosts. */
  start(): void {
    for (let i = 0; i < this.warm; i++) this.#spawnHost("warm");
  }

  /**
   * Why this pool cannot serve runs now: its last start error once starts
   * have failed three times in a row ({@linkcode StartBackoff.failing}) and
   * no instance is ready. Undefined while it can serve, or may soon (a host
   * being replaced).
   */
  failure(): string | undefined {
    if (!this.#backoff.failing) return undefined;
    for (const host of this.#hosts) {
      for (const instance of host.instances()) {
        if (instance.state === "idle" || instance.state === "busy") return undefined;
      }
    }
    return this.lastStartError || "instances fail to start";
  }

  /** The live hosts. */
  hosts(): Host[] {
    return [...this.#hosts];
  }

  /** Counts of the shared hosts by state (sessions' own hosts are counted apart). */
  counts(): PoolCounts {
    return countHosts(this.#shared());
  }

  /** Hosts given to one session each. */
  sessionHosts(): number {
    return countSessionHosts(this.#hosts);
  }

  /** Resident memory of the host given to session key `key`, as last reported. */
  sessionHostBytes(key: string): number | undefined {
    for (const host of this.#hosts) if (host.dedicatedTo === key) return host.rssBytes;
    return undefined;
  }

  #shared(): Host[] {
    return [...this.#hosts].filter((host) => host.dedicatedTo === undefined);
  }

  /** Counts of instances. */
  instanceCounts(): InstanceCounts {
    return countInstances(this.#hosts);
  }

  /** Whether a host could take a run now (a shared one, or a session's own). */
  hasIdleHost(): boolean {
    for (const host of this.#hosts) if (host.state === "idle") return true;
    return false;
  }

  /** Whether a shared host (one that serves any key) could take a run now. */
  hasIdleSharedHost(): boolean {
    for (const host of this.#hosts) {
      if (host.state === "idle" && host.dedicatedTo === undefined) return true;
    }
    return false;
  }

  /** See {@linkcode load.busyRatesKnown}. */
  busyRatesKnown(): boolean {
    return load.busyRatesKnown(this.#hosts);
  }

  /**
   * Whether runs of `key` keep a core busy: an instance of it was demoted.
   * More hosts would not serve such runs sooner.
   */
  heavyKey(key: string): boolean {
    return this.#index.demoted(key);
  }

  /** See {@linkcode load.startingForRuns}. */
  startingForRuns(): number {
    return load.startingForRuns(this.#hosts);
  }

  /** See {@linkcode load.youngestBusyMs}. */
  youngestBusyMs(now = performance.now()): number | undefined {
    return load.youngestBusyMs(this.#hosts, now);
  }

  /**
   * Whether a run of `key` can be placed now. A session's run waits for its
   * own instance (and its host) to be idle: it never takes a second one.
   * A lost session is placeable, so that its run is refused at once.
   */
  placeable(key: string): boolean {
    if (!isSessionKey(key)) return this.hasIdleSharedHost();
    if (this.#losses.reason(key) !== undefined) return true;
    if (!this.#index.has(key)) {
      // Its own host is on its way; without one, it takes a shared host.
      for (const host of this.#hosts) if (host.dedicatedTo === key) return false;
      return this.hasIdleSharedHost();
    }
    return this.#index.warmest(key) !== undefined;
  }

  /**
   * Whether session key `key` has a host of its own (starting or up): its
   * runs wait for that host, not for a shared one.
   */
  hasOwnHost(key: string): boolean {
    return ownHost(this.#hosts, key) !== undefined;
  }

  /** Why the instance of session key `key` is gone; undefined while it lives (or never ran). */
  lostReason(key: string): string | undefined {
    const reason = this.#losses.reason(key);
    if (reason !== undefined) return reason;
    const instances = this.#index.of(key);
    if (instances.length && instances.every((i) => i.state === "gone")) {
      return "its sandbox process was stopped";
    }
    return undefined;
  }

  /**
   * Ends the instance of `key` (a session deleted or expired): at once when
   * idle, after its run when busy. Its memory, and its host, go with it.
   */
  dropKey(key: string): void {
    let busy = false;
    for (const instance of this.#index.of(key)) {
      if (instance.state === "busy") {
        busy = true;
        instance.retiring = true;
        this.#ended.add(instance);
      } else this.#drop(instance, "retired");
    }
    this.#losses.forget(key);
    if (busy) return;
    for (const host of this.#hosts) if (host.dedicatedTo === key) endSessionHost(host);
  }

  /**
   * Starts a host of its own for session key `key` and, once it is up, the
   * session's instance in it, so that its first run finds it ready.
   */
  openSession(key: string): void {
    if (this.#closed) return;
    const host = this.#spawnHost("session", key);
    host.ready.then(() => {
      if (host.state !== "idle" || host.dedicatedTo !== key) return;
      const instance = host.spawn();
      this.#index.bind(instance, key);
      instance.ready.then(() => this.#hooks.onIdle(this.runtime), () => {});
    }, () => {});
  }

  /**
   * Reserves an idle host for a run of `key` and picks its instance;
   * undefined when no host is idle.
   */
  place(key: string): Placement | undefined {
    const warm = this.#index.warmest(key);
    if (warm) return this.#reserve(warm, "warm");
    if (isSessionKey(key)) return this.#placeSession(key);
    const { spare, emptiest } = chooseSpare(this.#hosts);
    this.#demand.noteNewKey();
    if (spare) {
      this.#index.bind(spare, key);
      // Its replacement starts when this run is over (see release): a
      // worker starting beside the run would take the host's thread and a
      // core from it.
      return this.#reserve(spare, "spare");
    }
    if (!emptiest) return undefined;
    const instance = emptiest.spawn();
    this.#index.bind(instance, key);
    return this.#reserve(instance, "new");
  }

  /**
   * Gives a session's first run a host of its own when the one started for
   * it failed: an idle shared host becomes the session's, its other
   * instances are dropped, and a new shared host replaces it (see release).
   */
  #placeSession(key: string): Placement | undefined {
    const host = this.#shared().find((h) => h.state === "idle");
    if (!host) return undefined;
    host.dedicatedTo = key;
    for (const instance of [...host.instances()]) this.#drop(instance, "evicted");
    const instance = host.spawn();
    this.#index.bind(instance, key);
    return this.#reserve(instance, "new");
  }

  #reserve(instance: HostedInstance, via: Placement["via"]): Placement {
    instance.host.reserve();
    return { host: instance.host, instance, via };
  }

  /** Takes back a host after a run on `instance`. */
  release(placement: Placement): void {
    const { host, instance } = placement;
    const reason = dropAfterRun(instance, this.#options.maxRuns);
    if (reason) this.#drop(instance, reason);
    host.free();
    this.#afterRun(host);
  }

  /** A host's run is over (or, if it was draining a stopped run, that run has ended). */
  #afterRun(host: Host): void {
    this.#replenish(host);
    // A shared host given to a session is replaced now that its run is over.
    this.#refill();
    this.#hooks.onIdle(this.runtime);
  }

  #drop(instance: HostedInstance, reason: DropReason): void {
    if (this.#ended.has(instance)) this.#losses.forget(instance.key ?? "");
    else if (instance.retiring) this.#losses.note(instance.key, "its sandbox had to retire");
    this.#index.forget(instance);
    instance.host.drop(instance);
    this.#hooks.onDrop?.(this.runtime, reason);
    endDedicated(instance);
  }

  /** Spares each host should keep now. */
  #spareTarget(): number {
    return this.#demand.perHost(liveSharedHosts(this.#hosts), this.#options.sparesPerHost);
  }

  /**
   * Starts spares on `host` up to the target (see {@linkcode sparesToStart}),
   * unless backing off after failures.
   */
  #replenish(host: Host): void {
    if (
      this.#closed || (host.state !== "idle" && host.state !== "busy") ||
      host.dedicatedTo !== undefined
    ) return;
    const wait = this.#backoff.wait();
    if (wait > 0) {
      setTimeout(() => this.#replenish(host), wait);
      return;
    }
    const room = this.#options.roomForSpare ?? (() => true);
    const target = this.#spareTarget();
    const start = sparesToStart(countSpares(host), target, this.#options.sparesPerHost, room);
    for (let i = 0; i < start; i++) {
      const instance = host.spawn();
      instance.ready.then(() => {
        this.#backoff.succeeded();
        this.everReady = true;
        this.#hooks.onIdle(this.runtime);
        // The next one beyond the configured number, if still wanted.
        this.#replenish(host);
      }, (err: Error) => {
        // Dropped because its host went to a session: not a failed start.
        if (
          host.state === "stopped" || instance.key !== undefined || host.dedicatedTo !== undefined
        ) return;
        this.#startFailed(err);
        this.#replenish(host);
      });
    }
  }

  /** Counts a failed start and backs off (see {@linkcode StartBackoff}). */
  #startFailed(err: Error): void {
    this.#backoff.failed(err.message);
    this.#hooks.onStartFailed?.(this.runtime);
  }

  /** The least recently used idle instance bound to a key, for eviction. */
  leastRecentlyUsed(): HostedInstance | undefined {
    return this.#index.leastRecentlyUsed();
  }

  /** Drops an idle instance to free its memory. */
  evict(instance: HostedInstance): void {
    if (instance.state === "idle") this.#drop(instance, "evicted");
  }

  /**
   * Drops keyed instances idle for `idleMs`, and stops hosts beyond the warm
   * count that ran nothing for as long.
   */
  shrink(idleMs: number, now = performance.now()): void {
    for (const instance of this.#index.idleFor(idleMs, now)) this.#drop(instance, "idle");
    // Spares made for a stream of new keys that has passed.
    const target = this.#spareTarget();
    for (const host of this.#hosts) {
      if (host.state !== "idle" || now - host.since < idleMs || host.dedicatedTo !== undefined) {
        continue;
      }
      for (const instance of surplusSpares(host, target)) this.#drop(instance, "idle");
    }
    const shared = this.#shared();
    let extra = shared.length - this.warm;
    for (const host of shared) {
      if (extra <= 0) return;
      if (host.state === "idle" && now - host.since >= idleMs && !holdsSession(host)) {
        host.retire("idle");
        extra--;
      }
    }
  }

  /**
   * Cores this pool's hosts kept busy lately (from their last reports),
   * leaving out hosts whose run yields the cores to everything else.
   */
  cpuRate(): number {
    return load.cpuRate(this.#hosts);
  }

  /** Whether a new host may start now (not backing off after failures). */
  canGrow(now = performance.now()): boolean {
    return !this.#closed && this.#backoff.wait(now) <= 0;
  }

  /** Starts one more host for queued work. */
  grow(): void {
    if (this.canGrow()) this.#spawnHost("demand");
  }

  /** Stops one idle host beyond the warm count, to make room elsewhere. */
  retireSpareIdle(): boolean {
    const shared = this.#shared();
    if (shared.length <= this.warm) return false;
    const idle = shared.find((h) => h.state === "idle" && !holdsSession(h));
    if (!idle) return false;
    idle.retire("idle");
    return true;
  }

  /** Kills every host and starts no more. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const exits = [...this.#hosts].map((host) => {
      host.kill("shutdown");
      return host.exited;
    });
    await Promise.all(exits);
  }

  #spawnHost(reason: string, dedicatedTo?: string): Host {
    const host = new Host(this.runtime, this.#settings);
    host.dedicatedTo = dedicatedTo;
    host.onInstanceReady = (instance, ms) => {
      this.#demand.noteStart(ms);
      this.#hooks.onInstanceReady?.(this.runtime, ms, instance.key !== undefined);
    };
    host.onDemoted = () => this.#hooks.onDemoted?.(this.runtime);
    host.onFreed = () => this.#afterRun(host);
    host.onInstanceLost = (instance, failed) => {
      this.#losses.note(instance.key, failed ? "its sandbox failed" : "its sandbox had to retire");
      this.#index.forget(instance);
      this.#hooks.onDrop?.(this.runtime, failed ? "failed" : "retired");
      endDedicated(instance);
    };
    this.#hosts.add(host);
    this.#hooks.onStart(this.runtime, reason);
    host.ready.then(() => {
      // Without spares, a ready host is as warm as this pool gets.
      if (this.#options.sparesPerHost === 0) this.everReady = true;
      this.#replenish(host);
      this.#hooks.onIdle(this.runtime);
    }, (err: Error) => this.#startFailed(err));
    host.exited.then((reason) => {
      this.#hosts.delete(host);
      for (const instance of this.#index.all()) {
        if (instance.host !== host) continue;
        this.#losses.note(instance.key, hostLossReason(reason, this.#settings.memoryLimitMb));
        this.#index.forget(instance);
      }
      this.#hooks.onExit(host, reason);
      this.#refill();
    });
    return host;
  }

  /** Brings the pool back to its warm count, after any backoff. */
  #refill(): void {
    let shared = this.#shared().length;
    if (this.#closed || shared >= this.warm) return;
    const wait = this.#backoff.wait();
    if (wait > 0) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#refill(), wait);
      return;
    }
    for (; shared < this.warm; shared++) this.#spawnHost("replace");
  }
}
