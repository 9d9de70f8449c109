/**
 * Entry of a sandbox host process. It connects back to the server over a
 * private Unix socket and holds several locked-down workers (instances),
 * each of which only ever serves one isolation key. It runs at most one of
 * them at a time; the others are parked (blocked on their gate, running no
 * JavaScript at all), so when the server kills this process to stop code a
 * worker cannot stop itself, only the one running run is lost.
 *
 * Arguments: socket path, token, runtime, memory limit in MiB, the directory
 * holding Pyodide's files, and for Python the memory snapshot its workers
 * start from, the packages' zip, the compiled packages, and the link-plan
 * patched glue and the plan checked at start-up ("" for none).
 */
import process from "node:process";
import {
  type HostMessage,
  MEMORY_EXIT_CODE,
  type Runtime,
  type ServerMessage,
  type WorkerMessage,
} from "../protocol/host_messages.ts";
import { LineWriter, readLines } from "../protocol/ndjson.ts";
import {
  CONTROL_BYTES,
  dropThroughGate,
  GATE_BYTES,
  interruptRun,
  openGate,
} from "../protocol/worker_channel.ts";
import { PYODIDE_FILES } from "../protocol/pyodide_files.ts";
import type { NativeInstall } from "../protocol/native_bundle.ts";
import { sharedSnapshot } from "./shared_snapshot.ts";
import { type HostLinkPlan, loadLinkPlan } from "./host_link_plan.ts";

const [
  socketPath,
  token,
  runtime,
  memoryMb,
  pyodideDir,
  snapshotPath,
  packagesPath,
  nativePath,
  linkedGluePath,
  linkPlanPath,
] = Deno.args as [
  string,
  string,
  string,
  Runtime,
  string,
  string,
  string | undefined,
  string | undefined,
  string | undefined,
  string | undefined,
];
const MIB = 1024 * 1024;
const memoryLimitBytes = Number(memoryMb) * MIB;
// Room beyond what the run's code may allocate (V8 and runtime overhead);
// past it, measured from where the run started, the watchdog ends the host.
const RUN_HEADROOM_BYTES = 128 * MIB;
// A worker starting while a run is in progress grows the process too.
const START_ALLOWANCE_BYTES = 256 * MIB;

const conn = await Deno.connect({ transport: "unix", path: socketPath });
const writer = new LineWriter(conn, () => Deno.exit(0));
const send = (message: HostMessage) => writer.send(message);
send({ t: "hello", token });

const workerUrl = new URL(
  runtime === "python" ? "../workers/python_worker.ts" : "../workers/js_worker.ts",
  import.meta.url,
);
let readable: string[] | false = false;
let snapshot: Uint8Array | undefined;
let packagesZip: Uint8Array | undefined;
let native: NativeInstall | undefined;
let wasmModule: WebAssembly.Module | undefined;
/**
 * Set when workers restore `snapshot` with pyodide_fast_load.ts: the
 * snapshot is then one shared copy they only read, and these are its
 * non-zero pages.
 */
let snapshotRanges: Uint32Array | undefined;
/**
 * Set when the server's start-up check found that linking Pyodide by a
 * recorded plan gives what the stock link does: workers link by it.
 */
let linkPlan: HostLinkPlan | undefined;
try {
  // Real paths: permissions given by a symlinked path do not match.
  readable = runtime === "python"
    ? PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`))
    : false;
  // Workers may not read files beyond Pyodide's own: each gets a copy.
  snapshot = snapshotPath ? await Deno.readFile(snapshotPath) : undefined;
  packagesZip = packagesPath ? await Deno.readFile(packagesPath) : undefined;
  // Loaded only when needed: the zip library costs every host memory.
  native = nativePath
    ? (await import("../protocol/native_bundle.ts")).unpackNative(await Deno.readFile(nativePath))
    : undefined;
  // Compiled once; every worker of this process shares the code.
  if (runtime === "python") {
    wasmModule = await WebAssembly.compile(await Deno.readFile(`${pyodideDir}/pyodide.asm.wasm`));
  }
  if (runtime === "python" && snapshot) {
    const shared = await sharedSnapshot(pyodideDir, snapshot);
    if (shared) ({ snapshot, ranges: snapshotRanges } = shared);
  }
  if (snapshotRanges && wasmModule && readable && linkedGluePath && linkPlanPath) {
    linkPlan = loadLinkPlan(linkPlanPath, linkedGluePath, wasmModule);
    if (linkPlan) readable = [...readable, linkPlan.gluePath];
  }
} catch (err) {
  // One line: the server reports the last line of a host's stderr.
  console.error(`Host start failed: ${(err as Error).message}`);
  Deno.exit(1);
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
  gate: Int32Array;
  /** The worker said it is ready (a start failure is no longer taken from it). */
  ready?: boolean;
  /** The name Deno gave the worker's thread, when it is known. */
  thread?: string;
}

const slots = new Map<number, Slot>();
/**
 * Workers this process made. Deno names each worker's thread `worker-<n>`,
 * numbered in the order a process creates them (and workers cannot make
 * workers of their own), so the server can find a worker's thread and
 * lower its priority. A constructor that threw may have used a number up:
 * from then on the names are not told.
 */
let workersMade: number | undefined = 0;
/** The run in progress and the RSS it may take the process to. */
let running: { wid: number; id: number; rssLimit: number } | undefined;

function spawn(wid: number): void {
  let worker: Worker;
  try {
    worker = new Worker(workerUrl, {
      type: "module",
      name: `${runtime}-${wid}`,
      deno: {
        permissions: {
          env: false,
          ffi: false,
          import: false,
          net: false,
          read: readable,
          run: false,
          sys: false,
          write: false,
        },
      },
    });
  } catch (err) {
    workersMade = undefined;
    send({ t: "failed", wid, reason: `Worker start failed: ${(err as Error).message}` });
    return;
  }
  if (workersMade !== undefined) workersMade++;
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const gate = new SharedArrayBuffer(GATE_BYTES);
  const channel = new MessageChannel();
  const slot: Slot = {
    worker,
    port: channel.port1,
    control: new Int32Array(control),
    gate: new Int32Array(gate),
    thread: workersMade === undefined ? undefined : `worker-${workersMade}`,
  };
  slots.set(wid, slot);
  if (running) running.rssLimit += START_ALLOWANCE_BYTES;
  worker.onerror = (e) => {
    e.preventDefault();
    if (running?.wid === wid) {
      // The run's worker died under it; the server reports the run.
      console.error(`Worker failed: ${e.message}`);
      Deno.exit(1);
    }
    drop(wid);
    send({ t: "failed", wid, reason: `Worker failed: ${e.message}` });
  };
  // Messages are attributed by the port they come from, never by what
  // they say, and only the running run's result is passed on.
  channel.port1.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const msg = e.data;
    if (msg.t === "ready") {
      slot.ready = true;
      send({ t: "ready", wid, thread: slot.thread });
    } else if (msg.t === "failed" && !slot.ready) {
      // Only while starting: a worker that said ready ends by retiring.
      drop(wid);
      send({ t: "failed", wid, reason: String(msg.reason) });
    } else if (msg.t === "output" && running?.wid === wid && running.id === msg.id) {
      send({ t: "output", wid, id: msg.id, fd: msg.fd === 2 ? 2 : 1, text: String(msg.text) });
    } else if (msg.t === "retire") send({ t: "retire", wid, reason: String(msg.reason) });
    else if (msg.t === "result" && running?.wid === wid && running.id === msg.id) {
      running = undefined;
      // The worker measures its own thread: a spare starting meanwhile is
      // not the run's.
      const cpuMs = typeof msg.cpuMs === "number" && Number.isFinite(msg.cpuMs) && msg.cpuMs >= 0
        ? msg.cpuMs
        : undefined;
      send({ ...msg, t: "result", wid, cpuMs });
    }
  };
  // Copies, not shared memory: a run may write to its instance's files.
  // The fast restore only reads the snapshot and keeps no reference to
  // it: that one is shared.
  const copy = snapshotRanges ? snapshot : snapshot?.slice();
  const packages = packagesZip?.slice();
  worker.postMessage({
    port: channel.port2,
    control,
    gate,
    indexURL: pyodideDir,
    memoryLimitBytes,
    snapshot: copy,
    packagesZip: packages,
    native,
    wasmModule,
    fastLoad: snapshotRanges !== undefined,
    snapshotRanges,
    linkPlan: linkPlan?.plan,
    gluePath: linkPlan?.gluePath,
  }, [
    channel.port2,
    ...[snapshotRanges ? undefined : copy, packages].filter((b) => b !== undefined).map((b) =>
      b.buffer as ArrayBuffer
    ),
  ]);
}

function drop(wid: number): void {
  const slot = slots.get(wid);
  if (!slot) return;
  slots.delete(wid);
  // A parked worker ignores terminate(); woken to be dropped, it closes
  // itself before any of its code can run.
  dropThroughGate(slot.gate);
  slot.port.close();
  slot.worker.terminate();
}

function handle(msg: ServerMessage): void {
  if (msg.t === "spawn") return spawn(msg.wid);
  if (msg.t === "drop") return drop(msg.wid);
  const slot = slots.get(msg.wid);
  if (msg.t === "cancel") {
    if (slot) interruptRun(slot.control, msg.id);
    slot?.port.postMessage(msg);
    return;
  }
  if (!slot) {
    send({ t: "failed", wid: msg.wid, reason: "No such worker" });
    return;
  }
  const rss = Deno.memoryUsage().rss;
  running = {
    wid: msg.wid,
    id: msg.id,
    rssLimit: rss + memoryLimitBytes + RUN_HEADROOM_BYTES,
  };
  slot.port.postMessage(msg);
  openGate(slot.gate);
}

setInterval(() => {
  if (!running) return;
  const rss = Deno.memoryUsage().rss;
  if (rss > running.rssLimit) {
    send({ t: "memory", rssBytes: rss });
    // Give the socket a moment to carry the message, then go.
    setTimeout(() => Deno.exit(MEMORY_EXIT_CODE), 20);
  }
}, 50);

function sendStats(): void {
  const cpu = process.cpuUsage();
  send({ t: "stats", rssBytes: Deno.memoryUsage().rss, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
}
setInterval(sendStats, 250);

send({ t: "up" });
sendStats();
for await (const line of readLines(conn)) handle(JSON.parse(line) as ServerMessage);
// The server closed the socket: it is gone or done with this host.
Deno.exit(0);
