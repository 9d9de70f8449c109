/**
 * Entry of a sandbox host process: one per instance. It connects back to the
 * server over a private Unix socket, starts one locked-down worker and relays
 * runs to it. The server kills this process to stop code the worker cannot
 * stop itself, and this process exits on its own past its memory cap or when
 * the server goes away.
 *
 * Arguments: socket path, token, runtime, memory limit in MiB, the directory
 * holding Pyodide's files, and for Python the memory snapshot to start from
 * ("" for none).
 */
import {
  type HostMessage,
  MEMORY_EXIT_CODE,
  type Runtime,
  type ServerMessage,
} from "./protocol.ts";
import { LineWriter, readLines } from "./ndjson.ts";
import { CONTROL_BYTES, interruptRun } from "../workers/worker_common.ts";
import { PYODIDE_FILES } from "./pyodide_files.ts";

const [socketPath, token, runtime, memoryMb, pyodideDir, snapshotPath] = Deno.args as [
  string,
  string,
  Runtime,
  string,
  string,
  string | undefined,
];
const memoryLimitBytes = Number(memoryMb) * 1024 * 1024;
// The process itself (V8, Pyodide's runtime, buffers) needs room beyond what
// user code may allocate; past this the watchdog ends the host.
const rssLimitBytes = memoryLimitBytes + 256 * 1024 * 1024;
const softRssLimitBytes = memoryLimitBytes + 128 * 1024 * 1024;

const conn = await Deno.connect({ transport: "unix", path: socketPath });
const writer = new LineWriter(conn, () => Deno.exit(0));
const send = (message: HostMessage) => writer.send(message);
send({ t: "hello", token });

const control = new SharedArrayBuffer(CONTROL_BYTES);
const ctl = new Int32Array(control);
const channel = new MessageChannel();
let worker: Worker;
try {
  worker = new Worker(
    new URL(
      runtime === "python" ? "../workers/python_worker.ts" : "../workers/js_worker.ts",
      import.meta.url,
    ),
    {
      type: "module",
      name: runtime,
      deno: {
        permissions: {
          env: false,
          ffi: false,
          import: false,
          net: false,
          read: runtime === "python"
            ? PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`))
            : false,
          run: false,
          sys: false,
          write: false,
        },
      },
    },
  );
} catch (err) {
  // One line: the server reports the last line of a host's stderr.
  console.error(`Host start failed: ${(err as Error).message}`);
  Deno.exit(1);
}
worker.onerror = (e) => {
  e.preventDefault();
  console.error(`Worker failed: ${e.message}`);
  Deno.exit(1);
};
// The worker may not read files beyond Pyodide's own: hand it the snapshot.
const snapshot = snapshotPath ? await Deno.readFile(snapshotPath) : undefined;
worker.postMessage({
  port: channel.port2,
  control,
  indexURL: pyodideDir,
  memoryLimitBytes,
  snapshot,
}, snapshot ? [channel.port2, snapshot.buffer] : [channel.port2]);

let retiring = false;
channel.port1.onmessage = (e: MessageEvent<HostMessage>) => {
  const msg = e.data;
  // Between runs, a host that has grown past the soft limit retires
  // gracefully (before its result, so no run is sent to it), long before
  // the hard limit below would end it in the middle of one.
  if (msg.t === "result" && !retiring && Deno.memoryUsage().rss > softRssLimitBytes) {
    send({ t: "retire", reason: "host memory grew past its soft limit" });
    retiring = true;
  }
  send(msg);
  if (msg.t === "retire") retiring = true;
  // The result follows the retire notice; let the socket carry it, then go.
  if (retiring && msg.t === "result") setTimeout(() => Deno.exit(0), 50);
};

setInterval(() => {
  const rss = Deno.memoryUsage().rss;
  if (rss > rssLimitBytes) {
    send({ t: "memory", rssBytes: rss });
    // Give the socket a moment to carry the message, then go.
    setTimeout(() => Deno.exit(MEMORY_EXIT_CODE), 20);
  }
}, 50);

for await (const line of readLines(conn)) {
  const msg = JSON.parse(line) as ServerMessage;
  if (msg.t === "cancel") interruptRun(ctl, msg.id);
  channel.port1.postMessage(msg);
}
// The server closed the socket: it is gone or done with this host.
Deno.exit(0);
