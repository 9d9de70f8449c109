/**
 * What one fresh Python instance costs: starts Python workers one at a time
 * the way a host does (the compiled module and the shared snapshot handed
 * over, the same permissions and V8 flags), runs one snippet in each and
 * drops it, and prints the medians of wall time from `new Worker` to ready
 * and of the whole cycle's process CPU (every thread of this process).
 *
 *   deno run -A --v8-flags=--disallow-code-generation-from-strings,--max-semi-space-size=1,--no-wasm-deopt \
 *     bench/fresh_instance_cpu.ts [count] [--stock] [snapshot path]
 *
 * The snapshot is made once and kept at the given path (by default in the
 * system's temporary directory, named after the snapshot key).
 */
import process from "node:process";
import { PYODIDE_FILES, resolvePyodideDir } from "../protocol/pyodide_files.ts";
import { snapshotKey } from "../python/snapshot_cache.ts";
import { makePythonSnapshot } from "../python/python_snapshot.ts";
import {
  CONTROL_BYTES,
  dropThroughGate,
  GATE_BYTES,
  openGate,
} from "../protocol/worker_channel.ts";
import { sharedSnapshot } from "../host/shared_snapshot.ts";
import { checkLinkPlan } from "../python/link_plan_check.ts";
import { patchGlue } from "../workers/glue_link_patch.ts";

const MEMORY_LIMIT = 512 * 2 ** 20;
const SNIPPET = "import json, re\nprint(json.dumps({'a': [1, 2]}), re.sub('a', 'b', 'aa'))";

const args = Deno.args.filter((a) => a !== "--stock");
const planned = !Deno.args.includes("--stock");
const count = Number(args[0] ?? 20);
const pyodideDir = resolvePyodideDir(undefined);
const snapshotPath = args[1] ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/fresh-instance-${await snapshotKey(pyodideDir)}.snapshot`;
let bytes: Uint8Array;
try {
  bytes = await Deno.readFile(snapshotPath);
} catch {
  bytes = await makePythonSnapshot(pyodideDir, MEMORY_LIMIT);
  await Deno.writeFile(snapshotPath, bytes);
}
const wasmModule = await WebAssembly.compile(
  await Deno.readFile(`${pyodideDir}/pyodide.asm.wasm`),
);
const shared = await sharedSnapshot(pyodideDir, bytes);
if (!shared) throw new Error("The fast restore is not available");
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
const readable = [...PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`))];
// As the server does: the patched glue in a file of its own.
const gluePath = await Deno.makeTempFile({ suffix: ".mjs" });
await Deno.writeTextFile(
  gluePath,
  patchGlue(await Deno.readTextFile(`${pyodideDir}/pyodide.asm.mjs`)),
);
const probeStarted = performance.now();
const probeCpu = cpuNow();
const linkPlan = planned
  ? (await checkLinkPlan({ pyodideDir, wasmModule, gluePath, readable }))?.plan
  : undefined;
if (planned) {
  console.log(
    `link plan check: ${linkPlan ? "passed" : "failed"} in ` +
      `${(performance.now() - probeStarted).toFixed(0)} ms, ${
        (cpuNow() - probeCpu).toFixed(0)
      } ms CPU`,
  );
}
if (linkPlan) readable.push(Deno.realPathSync(gluePath));
const workerUrl = new URL("../workers/python_worker.ts", import.meta.url);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One instance: started, ready, one run, dropped. */
async function cycle(): Promise<{ readyMs: number; cpuMs: number; stdout: string }> {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  const worker = new Worker(workerUrl, {
    type: "module",
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
  const channel = new MessageChannel();
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const gate = new Int32Array(new SharedArrayBuffer(GATE_BYTES));
  const messages: { t: string; stdout?: string }[] = [];
  let wake = () => {};
  channel.port1.onmessage = (e) => {
    messages.push(e.data);
    wake();
  };
  const next = async (t: string) => {
    for (;;) {
      const i = messages.findIndex((m) => m.t === t);
      if (i >= 0) return messages.splice(i, 1)[0];
      if (messages.some((m) => m.t === "failed")) throw new Error(JSON.stringify(messages));
      await new Promise<void>((r) => wake = r);
    }
  };
  worker.onerror = (e) => {
    e.preventDefault();
    messages.push({ t: "failed", stdout: e.message });
    wake();
  };
  worker.postMessage({
    port: channel.port2,
    control,
    gate: gate.buffer,
    indexURL: pyodideDir,
    memoryLimitBytes: MEMORY_LIMIT,
    snapshot: shared!.snapshot,
    wasmModule,
    fastLoad: true,
    snapshotRanges: shared!.ranges,
    linkPlan,
    gluePath: linkPlan && gluePath,
  }, [channel.port2]);
  await next("ready");
  const readyMs = performance.now() - t0;
  channel.port1.postMessage({
    t: "run",
    wid: 1,
    id: 1,
    language: "python",
    code: SNIPPET,
    input: "null",
    stdin: "",
    timeoutMs: 5000,
    maxOutputBytes: 65536,
  });
  openGate(gate);
  const result = await next("result");
  dropThroughGate(gate);
  channel.port1.close();
  worker.terminate();
  // Let the worker's thread wind down: its teardown is part of the cycle.
  await sleep(40);
  return { readyMs, cpuMs: cpuNow() - cpu0, stdout: result.stdout ?? "" };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The first instance fills Deno's code cache and V8's shared wasm code.
const warm = await cycle();
const ready: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < count; i++) {
  const r = await cycle();
  if (r.stdout !== warm.stdout) throw new Error(`Output differs: ${r.stdout}`);
  ready.push(r.readyMs);
  cpu.push(r.cpuMs);
}
await Deno.remove(gluePath);
console.log(
  `fresh instances: n=${count} ready median ${median(ready).toFixed(1)} ms wall ` +
    `(min ${Math.min(...ready).toFixed(1)}), cycle median ${median(cpu).toFixed(1)} ms CPU ` +
    `(min ${Math.min(...cpu).toFixed(1)}); ` +
    `link plan ${linkPlan ? "on" : "off"}; output ${JSON.stringify(warm.stdout)}`,
);
