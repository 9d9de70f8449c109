/** The shapes of a host as the server sees it: its settings, states and results. */
import type { RunOutcome, RunStatus } from "../protocol/host_messages.ts";
import type { SocketHub } from "./socket_hub.ts";

/** What every host needs to start. */
export interface HostSettings {
  hub: SocketHub;
  /** Memory cap per run, MiB. */
  memoryLimitMb: number;
  /** How long a soft stop may take before the host is killed, ms. */
  killGraceMs: number;
  /** How long a host or worker may take to become ready, ms. */
  startTimeoutMs: number;
  /**
   * A run that keeps its thread busy this long (ms) gets the lowest CPU
   * priority for the rest of its instance's life; 0 never.
   */
  demoteAfterMs?: number;
  /** Directory with Pyodide's files. */
  pyodideDir: string;
  /** The deno.json the host runs with. */
  configPath: string;
  /** Pyodide memory snapshot Python workers start from, when there is one. */
  pythonSnapshot?: string;
  /**
   * Called when `pythonSnapshot` is gone from disk; the host then loads
   * Pyodide itself (slower) while the owner makes the snapshot again.
   */
  onSnapshotMissing?: (path: string) => void;
  /**
   * A link plan checked at start-up and the patched glue that applies it
   * (python/link_plan_prepare.ts): Python hosts started once it is set link
   * Pyodide by it.
   */
  pythonLinkPlan?: { gluePath: string; planPath: string };
  /** The installed pure-Python packages' zip, when there are any. */
  pythonPackagesZip?: string;
  /** The compiled packages each Python instance installs at start (native_install.ts). */
  pythonNativeZip?: string;
  /** The `DENO_DIR` whose module caches hosts link to (default: this process's). */
  denoDir?: string;
}

/** Lifecycle state of a host: busy while it is given or running a run. */
export type HostState = "starting" | "idle" | "busy" | "retiring" | "stopped";

/** Why a host went away. */
export type ExitReason =
  | "timeout"
  | "memory_limit"
  /** A cancelled run (or one whose caller left) did not stop when asked. */
  | "stopped"
  | "crashed"
  | "idle"
  | "shutdown"
  | "failed_start";

/** The outcome of one run as the server sees it. */
export interface RunResult extends Omit<RunOutcome, "status"> {
  status: RunStatus;
  /** Set for every status but success and error: what happened. */
  error?: string;
  instanceId: string;
}
