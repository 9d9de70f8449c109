/** What the scheduler takes, gives back and reports: shared with its callers. */
import type { RunResult } from "../sandbox/host.ts";
import type { Placement } from "../sandbox/pool.ts";
import type { FileOp, Language, RunFile } from "../protocol/host_messages.ts";
import type { Priority } from "./priority_queue.ts";
import type { Account } from "../core/account.ts";

/** A run as the route hands it over. */
export interface RunRequest {
  language: Language;
  code: string;
  /** JSON text of the caller's input. */
  input: string;
  stdin: string;
  /** Command-line arguments; absent for none. */
  args?: string[];
  /** Files placed in the run's working directory; absent for none. */
  files?: RunFile[];
  /** The entry point's file name, when the caller named one. */
  entry?: string;
  /** Glob patterns of the files the run hands back; absent for none. */
  returnFiles?: string[];
  /** A session's file operation, done instead of running code. */
  fileOp?: FileOp;
  timeoutMs: number;
  priority: Priority;
  /** Isolation key: runs share an instance only when their keys are equal. */
  key: string;
  /**
   * Who the run is counted for (usage, quotas); set when the request is
   * prepared, and kept with a job's request so its runs count too.
   */
  account?: Account;
  /**
   * A session's run: its instance keeps what the run left (globals,
   * imports, files) for the next one, and it is refused with
   * SessionLostError once that instance is gone. Its key is a session key.
   */
  persist?: boolean;
  /** Receives output as the run produces it (the run streams when this is set). */
  onOutput?: (fd: 1 | 2, text: string) => void;
  /**
   * Called when the run is handed to its instance: not while it waits, nor
   * when it is refused or its instance fails to start (then it is placed
   * again, and this may be called later).
   */
  onStart?: () => void;
}

/**
 * Where a run's time went on the server, ms: waiting in the queue, waiting
 * for its instance (a spare's binding, or a worker started for it), and
 * from handing the run to its host until the result came back (the
 * execution itself plus the round trip to the host and its worker).
 */
export interface RunPhases {
  queueMs: number;
  startMs: number;
  runMs: number;
}

/** A finished run with how long it queued. */
export interface ScheduledResult {
  result: RunResult;
  taskId: string;
  queueMs: number;
  /** How the instance was found: warm for the key, a spare, or started for it. */
  via: Placement["via"];
  /** Where its time went. */
  phases: RunPhases;
}

/** Limits the scheduler enforces. */
export interface SchedulerLimits {
  maxQueue: number;
  maxQueueWaitMs: number;
  agingMs: number;
  /** Most host processes alive at once, all runtimes together. */
  maxHosts: number;
  maxOutputBytes: number;
  idleTimeoutMs: number;
  /** CPU cores of the machine: the pool does not grow while the hosts keep them busy. */
  cores: number;
}

/** What the scheduler reports to metrics and usage metering. */
export interface SchedulerHooks {
  onQueued?(priority: Priority): void;
  onDispatched?(priority: Priority, waitMs: number): void;
  /** A run finished (every run, whatever route it came from): its one report. */
  onFinished?(
    language: Language,
    result: RunResult,
    phases: RunPhases,
    run: { taskId: string; request: RunRequest },
    via: Placement["via"],
  ): void;
  onRejected?(
    reason: "queue_full" | "queue_timeout" | "unavailable" | "client_gone" | "cancelled",
  ): void;
}

/** Scheduler statistics for /health. */
export interface SchedulerStats {
  queued: Record<Priority, number>;
  running: number;
  completed: number;
  failed: number;
  meanExecutionMs: number;
}
