/// <reference lib="deno.worker" />
/**
 * What both worker kinds share: the init message, the port messages and the
 * control slots a host uses to interrupt a busy worker.
 *
 * Control slots (Int32Array over a SharedArrayBuffer):
 * - 0: Pyodide's interrupt slot; the host stores 2 (SIGINT) to interrupt.
 * - 1: 1 once the host's interrupt has been stored in slot 0.
 * - 2: the id of the run in progress, 0 between runs, -1 once the host
 *   claimed it for interruption. Both sides claim with compare-and-exchange,
 *   so an interrupt never lands on the next run or on the reset between runs.
 */
import type { CancelMessage, RunMessage } from "./host_messages.ts";
import type { NativeInstall } from "./native_bundle.ts";
import type { LinkPlan } from "./link_plan.ts";

/** Bytes of the control buffer a host shares with its worker. */
export const CONTROL_BYTES = 12;

/**
 * Bytes of the gate buffer: one slot the host opens (1) before each run or
 * sets to drop (2). It is a buffer of its own because the control buffer is
 * handed to Pyodide as its interrupt buffer, where Python code can reach it.
 */
export const GATE_BYTES = 4;
const GATE_OPEN = 1;
const GATE_DROP = 2;

/** The first message a worker gets from its host. */
export interface InitMessage {
  /** Private channel for runs and results. */
  port: MessagePort;
  /** Control slots, see the module comment. */
  control: SharedArrayBuffer;
  /** The gate the worker parks on between runs, see {@linkcode parkUntilNeeded}. */
  gate: SharedArrayBuffer;
  /** Directory holding Pyodide's files (Python workers). */
  indexURL: string;
  /** Cap on the instance's wasm memory (Python workers). */
  memoryLimitBytes: number;
  /** Pyodide's wasm, compiled once by the host and shared (Python workers). */
  wasmModule?: WebAssembly.Module;
  /**
   * Restore `snapshot` with pyodide_fast_load.ts: the host checked that
   * Pyodide's files are the build it was written for (Python workers).
   */
  fastLoad?: boolean;
  /**
   * With `fastLoad`: the snapshot's non-zero pages. `snapshot` is then the
   * host's one copy in shared memory, which the worker only reads.
   */
  snapshotRanges?: Uint32Array;
  /**
   * With `fastLoad`: link Pyodide's main module by this plan, which the
   * host checked against a stock link, running the patched glue at
   * `gluePath` (Python workers).
   */
  linkPlan?: LinkPlan;
  /** The link-plan patched glue, with `linkPlan` (Python workers). */
  gluePath?: string;
  /** A memory snapshot to start from instead of loading (Python workers). */
  snapshot?: Uint8Array;
  /** Make a memory snapshot, post it and stop (Python workers). */
  makeSnapshot?: boolean;
  /** Installed Python packages as one zip, this worker's own copy (Python workers). */
  packagesZip?: Uint8Array;
  /** Modules to import into a snapshot besides the standard ones (Python workers). */
  preload?: readonly string[];
  /** Compiled packages to install at start, after the snapshot (Python workers). */
  native?: NativeInstall;
  /** Install `native`, import every compiled module once, report and stop (Python workers). */
  checkNative?: boolean;
}

/** What a host sends its worker over the private port. */
export type PortMessage = RunMessage | CancelMessage;

// Taken when this module loads, before any user code runs: a run that
// reaches this realm cannot swap them for functions that do not block.
const atomicsWait = Atomics.wait;
const atomicsExchange = Atomics.exchange;
const atomicsStore = Atomics.store;
const atomicsNotify = Atomics.notify;
const closeWorker = self.close.bind(self);

/**
 * Blocks the worker's thread until the host needs it: no JavaScript runs
 * while parked, so timers, promise callbacks or finalizers a run left
 * behind cannot fire while another instance of the same host runs. They
 * fire only once this instance is woken for its own key's next run. Woken
 * to be dropped, the worker closes before anything else of it can run.
 */
export function parkUntilNeeded(gate: Int32Array): void {
  atomicsWait(gate, 0, 0);
  if (atomicsExchange(gate, 0, 0) === GATE_DROP) closeWorker();
}

/** Host side: wakes a parked worker for its next run. */
export function openGate(gate: Int32Array): void {
  atomicsStore(gate, 0, GATE_OPEN);
  atomicsNotify(gate, 0);
}

/** Host side: wakes a parked worker so that it closes itself. */
export function dropThroughGate(gate: Int32Array): void {
  atomicsStore(gate, 0, GATE_DROP);
  atomicsNotify(gate, 0);
}

/** Marks run `id` as in progress, so the host may interrupt it. */
export function runStarted(ctl: Int32Array, id: number): void {
  Atomics.store(ctl, 0, 0);
  Atomics.store(ctl, 1, 0);
  Atomics.store(ctl, 2, id);
}

/**
 * Marks the run over. When the host is halfway through interrupting it,
 * waits for its store to land, then clears it so the reset and the next run
 * are not interrupted.
 */
export function runFinished(ctl: Int32Array, id: number): void {
  if (Atomics.compareExchange(ctl, 2, id, 0) !== id) {
    Atomics.wait(ctl, 1, 0, 1000);
  }
  Atomics.store(ctl, 0, 0);
  Atomics.store(ctl, 1, 0);
  Atomics.store(ctl, 2, 0);
}

/**
 * Claims run `id` for interruption from the host side. Returns false when the
 * run already finished (or another one started).
 */
export function interruptRun(ctl: Int32Array, id: number): boolean {
  if (Atomics.compareExchange(ctl, 2, id, -1) !== id) return false;
  Atomics.store(ctl, 0, 2);
  Atomics.notify(ctl, 0);
  Atomics.store(ctl, 1, 1);
  Atomics.notify(ctl, 1);
  return true;
}
