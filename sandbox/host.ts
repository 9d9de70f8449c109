/**
 * One sandbox host process, seen from the server. It starts the process,
 * starts and drops its workers (instances), sends it one run at a time,
 * enforces deadlines (a soft stop first, then SIGKILL) and turns a dying
 * host into a clean status for the run it was running.
 */
import {
  type HostMessage,
  MEMORY_EXIT_CODE,
  type RunMessage,
  type RunOutcome,
  type Runtime,
  type StopReason,
  V8_OOM_EXIT_CODE,
} from "../protocol/host_messages.ts";
import { Instance } from "./instance.ts";
import type { HostConnection } from "./socket_hub.ts";
import { createHostDenoDir, removeHostDenoDir, sharedDenoDir } from "./host_deno_dir.ts";
import { hostCommand } from "./host_command.ts";
import type { ExitReason, HostSettings, HostState, RunResult } from "./host_types.ts";
import { exitOutcome, lostRun, type PendingRun, stopError } from "./lost_runs.ts";
import { hostUp } from "./host_handshake.ts";
import { demoteThread } from "./thread_priority.ts";
import { watchBusyThread } from "./busy_thread_watch.ts";
import { CpuRate } from "./cpu_rate.ts";
export { HOST_V8_FLAGS } from "./host_command.ts";
export type { ExitReason, HostSettings, HostState, RunResult } from "./host_types.ts";

/** An instance as the server's pools hold it: with its host. */
export type HostedInstance = Instance<Host>;

let nextHost = 1;

/**
 * How long a stopped run on a demoted thread may take to end after its
 * caller was answered, ms: on a crowded machine the lowest priority can wait
 * a few hundred ms for a core, and replacing the host costs more. A run that
 * will not end holds its host no longer than this.
 */
const DEMOTED_DRAIN_MS = 2000;

type Timer = ReturnType<typeof setTimeout>;

interface Pending extends PendingRun {
  msg: RunMessage;
  instance: HostedInstance;
  resolve: (result: RunResult) => void;
  started: number;
  softTimer: Timer;
  hardTimer?: Timer;
  /** Samples the run's thread for demotion (see #watchCpu). */
  cpuTimer?: Timer;
  stopReason?: StopReason;
  onOutput?: (fd: 1 | 2, text: string) => void;
}

/** A supervised host process holding workers of one runtime. */
export class Host {
  readonly id: string;
  readonly runtime: Runtime;
  state: HostState = "starting";
  /** performance.now() of when it became busy or idle last. */
  since = performance.now();
  /** Resolves once the process exits, with the reason. */
  readonly exited: Promise<ExitReason>;
  /** Resolves when the process is up; rejects if it never gets there. */
  readonly ready: Promise<void>;
  /** Last lines the host wrote to stderr, for the log when it dies. */
  stderrTail = "";
  /** Called when a worker of this host stops being usable: it failed, or retired while idle. */
  onInstanceLost?: (instance: HostedInstance, failed: boolean) => void;
  /** Resident memory of the host process, bytes, as it last reported (four times a second). */
  rssBytes?: number;
  /**
   * The session key this host serves alone, set by the pool when it gives
   * the host to a session; undefined for a shared host.
   */
  dedicatedTo?: string;
  #cpu = new CpuRate();
  /** Called when a worker of this host became ready, with how long it took. */
  onInstanceReady?: (instance: HostedInstance, ms: number) => void;
  /** Called when a run's thread was given the lowest priority. */
  onDemoted?: (instance: HostedInstance) => void;
  /** Called when a host given back while a stopped run was still ending became idle. */
  onFreed?: () => void;

  #settings: HostSettings;
  #child: Deno.ChildProcess;
  #token = crypto.randomUUID();
  #conn?: HostConnection;
  #instances = new Map<number, HostedInstance>();
  #nextWid = 1;
  #pending?: Pending;
  /** A stopped run answered already whose demoted worker has yet to end it. */
  #draining?: { wid: number; id: number; timer: Timer; freed: boolean };
  #exitReason?: ExitReason;
  #stderrDone: Promise<void>;
  #denoDir: string;

  constructor(runtime: Runtime, settings: HostSettings) {
    this.id = `${runtime === "python" ? "py" : "js"}-${nextHost++}`;
    this.runtime = runtime;
    this.#settings = settings;
    this.#denoDir = createHostDenoDir(
      settings.denoDir ?? sharedDenoDir(),
      `${settings.hub.dir}/deno-${this.id}`,
    );
    this.#child = hostCommand(runtime, settings, this.#token, this.#denoDir).spawn();
    this.#stderrDone = this.#collectStderr(this.#child.stderr);
    this.exited = this.#child.status.then((status) => this.#onExit(status));
    this.ready = this.#connect();
    // The caller observes failures through `exited`; keep this one quiet.
    this.ready.catch(() => {});
  }

  /** Process id of the host. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Its live instances. */
  instances(): IterableIterator<HostedInstance> {
    return this.#instances.values();
  }

  /**
   * Whether its run is one that yields the cores: demoted, or stopped and
   * still ending (see `FAAS_DEMOTE_AFTER_MS`).
   */
  get yielding(): boolean {
    return this.#pending?.instance.demoted === true || this.#draining !== undefined;
  }

  /** How many live instances it holds. */
  get size(): number {
    return this.#instances.size;
  }

  async #connect(): Promise<void> {
    const { hub, startTimeoutMs } = this.#settings;
    try {
      const conn = await hostUp(hub, this.#token, startTimeoutMs, this.exited);
      this.#conn = conn;
      this.state = "idle";
      this.since = performance.now();
      this.#listen(conn);
    } catch (err) {
      this.#settings.hub.forget(this.#token);
      this.kill("failed_start");
      // The host's own account of the failure is its last stderr line.
      await Promise.race([this.#stderrDone, new Promise((r) => setTimeout(r, 500))]);
      const reason = this.stderrTail.trim().split("\n").pop();
      throw new Error(`${(err as Error).message}${reason ? `: ${reason}` : ""}`);
    }
  }

  async #listen(conn: HostConnection): Promise<void> {
    try {
      for await (const line of conn.messages) {
        const msg = JSON.parse(line) as HostMessage;
        if (msg.t === "result") this.#onResult(msg);
        else if (msg.t === "output") this.#onOutput(msg.wid, msg.id, msg.fd, msg.text);
        else if (msg.t === "ready") this.#onReady(msg.wid, msg.thread);
        else if (msg.t === "failed") this.#onFailed(msg.wid, msg.reason);
        else if (msg.t === "retire") this.#onRetire(msg.wid);
        else if (msg.t === "memory") this.#exitReason ??= "memory_limit";
        else if (msg.t === "stats") this.#onStats(msg.rssBytes, msg.cpuSeconds);
      }
    } catch {
      // The socket broke; the exit handler reports the run.
    }
  }

  /** Starts a new worker; it is a spare until `key` is set. */
  spawn(): HostedInstance {
    if (!this.#conn || this.state === "stopped" || this.state === "starting") {
      throw new Error(`Host ${this.id} cannot start workers now`);
    }
    const instance: HostedInstance = new Instance<Host>(this, this.#nextWid++);
    this.#instances.set(instance.wid, instance);
    this.#conn.writer.send({ t: "spawn", wid: instance.wid });
    const timer = setTimeout(
      () => this.#onFailed(instance.wid, "Worker did not become ready in time"),
      this.#settings.startTimeoutMs,
    );
    instance.ready.finally(() => clearTimeout(timer)).catch(() => {});
    return instance;
  }

  /** Ends a worker that is not running (its memory goes with it). */
  drop(instance: HostedInstance): void {
    if (!this.#instances.delete(instance.wid)) return;
    instance.markGone("Instance was dropped");
    this.#conn?.writer.send({ t: "drop", wid: instance.wid });
  }

  /** Takes the host for one run; it stays busy until `free()`. */
  reserve(): void {
    if (this.state !== "idle") throw new Error(`Host ${this.id} is not idle`);
    this.state = "busy";
    this.since = performance.now();
  }

  /** Gives the host back after a run. */
  free(): void {
    if (this.state !== "busy") return;
    if (this.#draining) {
      // Idle once the stopped run has ended: nothing else runs beside it.
      this.#draining.freed = true;
      return;
    }
    this.state = "idle";
    this.since = performance.now();
  }

  /** Sends one run to `instance`; resolves when it finished or the host died. */
  run(
    instance: HostedInstance,
    msg: RunMessage,
    onOutput?: (fd: 1 | 2, text: string) => void,
  ): Promise<RunResult> {
    if (this.state !== "busy" || instance.state !== "idle" || !this.#conn) {
      throw new Error(`Instance ${instance.id} cannot take a run now`);
    }
    instance.state = "busy";
    return new Promise((resolve) => {
      this.#pending = {
        msg,
        instance,
        resolve,
        started: performance.now(),
        softTimer: setTimeout(() => this.stop("timeout"), msg.timeoutMs),
        onOutput,
      };
      this.#conn!.writer.send(msg);
      this.#watchCpu(this.#pending);
    });
  }

  /**
   * Gives a run that keeps its worker's thread busy the lowest CPU priority
   * (nice 19) for the rest of its instance's life, so that long CPU-bound
   * runs (a busy loop waiting for its timeout among them) take cores only
   * when short runs and instance starts leave them free.
   */
  #watchCpu(pending: Pending): void {
    const afterMs = this.#settings.demoteAfterMs ?? 0;
    const { instance } = pending;
    if (afterMs <= 0 || instance.demoted || instance.thread === undefined) return;
    watchBusyThread({
      pid: this.pid,
      thread: instance.thread,
      afterMs,
      going: () => this.#pending === pending && !pending.stopReason,
      onBusy: (tid) => {
        if (!demoteThread(tid)) return;
        instance.demoted = true;
        this.onDemoted?.(instance);
      },
      setTimer: (timer) => pending.cpuTimer = timer,
    });
  }

  /**
   * Stops the current run: a soft stop now, SIGKILL if it has not ended
   * after the grace period.
   */
  stop(reason: StopReason): void {
    const pending = this.#pending;
    if (!pending || pending.stopReason) return;
    pending.stopReason = reason;
    this.#conn?.writer.send({ t: "cancel", wid: pending.msg.wid, id: pending.msg.id, reason });
    pending.hardTimer = setTimeout(() => {
      // A session's host goes with its run, as any stopped session run's does.
      if (pending.instance.demoted && this.dedicatedTo === undefined) return this.#drain(pending);
      this.kill(reason === "timeout" ? "timeout" : "stopped");
      // The caller hears now, not once the process is gone and reaped:
      // the host is dealt with after the answer.
      this.#answerStopped(pending);
    }, this.#settings.killGraceMs);
  }

  /** Settles a run its host is being killed for, and takes the host out of service. */
  #answerStopped(pending: Pending): void {
    if (this.#pending !== pending || !pending.stopReason) return;
    if (this.state === "idle" || this.state === "busy") this.state = "retiring";
    pending.instance.state = "gone";
    this.#settleStopped(pending);
  }

  /** Settles a stopped run without its result: the status and error say why it stopped. */
  #settleStopped(pending: Pending): void {
    const stopReason = pending.stopReason!;
    this.#settle(
      pending,
      lostRun(pending, stopReason, stopError(stopReason, pending.msg.timeoutMs)),
    );
  }

  /**
   * Answers a stopped run whose demoted worker has not ended it within the
   * grace period, and keeps the host busy until it does, killing the host
   * only if that takes longer than {@linkcode DEMOTED_DRAIN_MS}.
   */
  #drain(pending: Pending): void {
    const stopReason = pending.stopReason!;
    this.#draining = {
      wid: pending.msg.wid,
      id: pending.msg.id,
      freed: false,
      timer: setTimeout(
        () => this.kill(stopReason === "timeout" ? "timeout" : "stopped"),
        DEMOTED_DRAIN_MS,
      ),
    };
    // Its key may use it again once it has ended its run (its host is busy till then).
    pending.instance.state = "idle";
    this.#settleStopped(pending);
  }

  /** The draining run ended: the host takes runs again if it was given back. */
  #drained(instance: HostedInstance | undefined): void {
    const draining = this.#draining!;
    clearTimeout(draining.timer);
    this.#draining = undefined;
    if (instance) {
      instance.runs++;
      instance.lastUsed = performance.now();
    }
    if (draining.freed && this.state === "busy") {
      this.state = "idle";
      this.since = performance.now();
      this.onFreed?.();
    }
  }

  #onResult(outcome: RunOutcome & { wid: number }): void {
    const draining = this.#draining;
    if (draining && outcome.id === draining.id && outcome.wid === draining.wid) {
      return this.#drained(this.#instances.get(outcome.wid));
    }
    const pending = this.#pending;
    if (!pending || outcome.id !== pending.msg.id || outcome.wid !== pending.msg.wid) return;
    const { wid: _, ...rest } = outcome;
    const result: RunResult = { ...rest, instanceId: pending.instance.id };
    if (outcome.status === "timeout") {
      // A worker stopped early says timeout whatever the reason was.
      const why = pending.stopReason ?? "timeout";
      result.status = why;
      result.error = stopError(why, pending.msg.timeoutMs);
    }
    const instance = pending.instance;
    instance.runs++;
    instance.lastUsed = performance.now();
    if (instance.state === "busy") instance.state = "idle";
    this.#settle(pending, result);
  }

  #onOutput(wid: number, id: number, fd: unknown, text: unknown): void {
    const pending = this.#pending;
    if (!pending || pending.msg.wid !== wid || pending.msg.id !== id) return;
    if (typeof text === "string") pending.onOutput?.(fd === 2 ? 2 : 1, text);
  }

  /** CPU seconds the host process has used, as it last reported. */
  get cpuSeconds(): number {
    return this.#cpu.seconds;
  }

  /** Cores the host kept busy lately (see {@linkcode CpuRate}). */
  get cpuRate(): number {
    return this.#cpu.rate;
  }

  /** Whether its last two reports, and so the short part of `cpuRate`, both came after `t`. */
  rateSince(t: number): boolean {
    return this.#cpu.since(t);
  }

  #onStats(rssBytes: unknown, cpuSeconds: unknown): void {
    if (typeof rssBytes === "number" && Number.isFinite(rssBytes)) this.rssBytes = rssBytes;
    if (typeof cpuSeconds === "number" && Number.isFinite(cpuSeconds)) this.#cpu.note(cpuSeconds);
  }

  #onReady(wid: number, thread: unknown): void {
    const instance = this.#instances.get(wid);
    if (!instance || instance.state !== "starting") return;
    if (typeof thread === "string" && /^worker-\d{1,8}$/.test(thread)) instance.thread = thread;
    instance.markReady();
    this.onInstanceReady?.(instance, performance.now() - instance.createdAt);
  }

  #onFailed(wid: number, reason: string): void {
    const instance = this.#instances.get(wid);
    if (!instance) return;
    if (this.#pending?.instance === instance) {
      // Its worker is gone mid-run; the process is in an unknown state.
      this.kill("crashed");
      return;
    }
    instance.markGone(reason);
    this.drop(instance);
    this.onInstanceLost?.(instance, true);
  }

  #onRetire(wid: number): void {
    const instance = this.#instances.get(wid);
    if (!instance) return;
    instance.retiring = true;
    // Idle already (the notice came after its result): no run may reach it.
    if (instance.state === "idle") {
      this.drop(instance);
      this.onInstanceLost?.(instance, false);
    }
  }

  #settle(pending: Pending, result: RunResult): void {
    clearTimeout(pending.softTimer);
    clearTimeout(pending.hardTimer);
    clearTimeout(pending.cpuTimer);
    this.#pending = undefined;
    pending.resolve(result);
  }

  /** Ends the host at once with SIGKILL. */
  kill(reason: ExitReason): void {
    this.#exitReason ??= reason;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  /** Ends an idle host by closing its socket; it exits on its own. */
  retire(reason: ExitReason): void {
    this.#exitReason ??= reason;
    // Never hand it another run while it goes.
    if (this.state === "idle") this.state = "retiring";
    if (this.#conn) this.#conn.close();
    else this.kill(reason);
    // A host that does not leave on its own is made to.
    setTimeout(() => this.kill(reason), 2000);
  }

  #onExit(status: Deno.CommandStatus): ExitReason {
    removeHostDenoDir(this.#denoDir);
    clearTimeout(this.#draining?.timer);
    this.#draining = undefined;
    if (this.state === "starting") this.#exitReason ??= "failed_start";
    this.state = "stopped";
    this.#conn?.close();
    if (status.code === MEMORY_EXIT_CODE || status.code === V8_OOM_EXIT_CODE) {
      this.#exitReason ??= "memory_limit";
    }
    const reason = this.#exitReason ?? "crashed";
    for (const instance of this.#instances.values()) instance.markGone(`Host ${reason}`);
    this.#instances.clear();
    const pending = this.#pending;
    if (pending) {
      const { stopReason, msg } = pending;
      const memoryMb = this.#settings.memoryLimitMb;
      const [runStatus, error] = exitOutcome(reason, stopReason, msg.timeoutMs, memoryMb);
      pending.instance.state = "gone";
      this.#settle(pending, lostRun(pending, runStatus, error, status.code || 1));
    }
    return reason;
  }

  async #collectStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.stderrTail = (this.stderrTail + decoder.decode(chunk, { stream: true })).slice(-2000);
    }
  }
}
