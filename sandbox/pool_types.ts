/** The shapes a pool is configured with and reports in. */
import type { Runtime } from "../protocol/host_messages.ts";
import type { ExitReason, Host, HostedInstance } from "./host.ts";

/** Callbacks a pool reports through. */
export interface PoolHooks {
  /** A host became idle or an instance ready: queued runs may go. */
  onIdle(runtime: Runtime): void;
  /** A host started (reason: warm, demand, replace). */
  onStart(runtime: Runtime, reason: string): void;
  /** A host went away. */
  onExit(host: Host, reason: ExitReason): void;
  /** A host or instance failed to start (see {@linkcode Pool.failure}). */
  onStartFailed?(runtime: Runtime): void;
  /** An instance was dropped while its host lived on. */
  onDrop?(runtime: Runtime, reason: DropReason): void;
  /** An instance became ready `ms` after it was asked for; `bound` when a run waited for it. */
  onInstanceReady?(runtime: Runtime, ms: number, bound: boolean): void;
  /** A run kept its thread busy and now runs at the lowest priority. */
  onDemoted?(runtime: Runtime): void;
}

/** Why an instance was dropped. */
export type DropReason = "single_use" | "run_limit" | "retired" | "idle" | "evicted" | "failed";

/** Counts of a pool's hosts by state. */
export interface PoolCounts {
  total: number;
  idle: number;
  busy: number;
  starting: number;
}

/** Counts of a pool's instances. */
export interface InstanceCounts {
  /** Bound to a key. */
  keyed: number;
  /** Ready and bound to no key yet. */
  spare: number;
  /** Starting up. */
  starting: number;
}

/** Where a run goes: a reserved host and the instance that runs it. */
export interface Placement {
  host: Host;
  instance: HostedInstance;
  /** How it was found: an instance of the key, a spare, or a new worker. */
  via: "warm" | "spare" | "new";
}

/** How a pool behaves. */
export interface PoolOptions {
  /** Hosts kept alive even when idle. */
  warmHosts: number;
  /** Runs after which an instance is dropped. */
  maxRuns: number;
  /** Spares each host keeps ready (more while new keys come fast; see spare_demand.ts). */
  sparesPerHost: number;
  /** Whether memory allows spares beyond `sparesPerHost` (default: yes). */
  roomForSpare?: () => boolean;
}
