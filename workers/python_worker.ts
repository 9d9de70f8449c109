/// <reference lib="deno.worker" />
/**
 * Worker entry for a Python instance: restores Pyodide from the service's
 * memory snapshot (or loads it), then runs one snippet at a time from its
 * private port and resets the interpreter after each run. With
 * `makeSnapshot` it only prepares an interpreter and posts its snapshot.
 */
import type { PyodideAPI } from "pyodide";
import type { FileOpResult, RunFile, RunMessage, RunOutcome } from "../protocol/host_messages.ts";
import { ClassGuard } from "./class_guard.ts";
import { type Harness, type PyProxyLike, words } from "./python_harness_api.ts";
import { DictGuard } from "./dict_guard.ts";
import { type EmscriptenFs, FsJournal } from "./fs_journal.ts";
import { CodeCache } from "./code_cache.ts";
import { capExtras, capText, OutputBuffer, OutputStreamer } from "./output_buffer.ts";
import {
  capWasmMemory,
  installNative,
  loadInterpreter,
  PACKAGES_ZIP,
  PreloadError,
} from "./python_load.ts";
import { lockDownRealm } from "./realm_lockdown.ts";
import { pickFiles, type WalkableFs, walkFiles } from "./returned_files.ts";
import { fileOpOutcome, pythonFileOp, type SessionFs } from "./session_files.ts";
import {
  cpuLap,
  type InitMessage,
  keepWorkerAlive,
  parkUntilNeeded,
  type PortMessage,
  runFinished,
  runStarted,
} from "./worker_common.ts";

const CODE_CACHE_SIZE = 256;
/** Longer sources are compiled for each run rather than kept. */
const CACHEABLE_SOURCE_CHARS = 64 * 1024;

keepWorkerAlive();

self.onmessage = async (event: MessageEvent<InitMessage>) => {
  self.onmessage = null;
  const init = event.data;
  const post = init.port.postMessage.bind(init.port);
  capWasmMemory(init.memoryLimitBytes);
  const ctl = new Int32Array(init.control);
  const gate = new Int32Array(init.gate);
  let out = new OutputBuffer(0);
  let err = new OutputBuffer(0);
  let streaming: OutputStreamer | undefined;

  // A memory snapshot skips loading, preloading and preparing (~3 s ->
  // ~0.15 s); without one the worker does it all, and may make a snapshot.
  let pyodide: PyodideAPI;
  try {
    pyodide = await loadInterpreter(init);
  } catch (e) {
    if (e instanceof PreloadError) post({ t: "failed", reason: e.message });
    throw e;
  }
  // Pyodide's socket support imports node:net and node:tls into this realm
  // when called; runs have no network and need no way to ask for it.
  delete (pyodide as unknown as { _api: Record<string, unknown> })._api.initializeNodeSockFS;
  // The snapshot has the packages' zip on sys.path, its directory already
  // read: the same bytes must be at the same path before any import.
  if (init.snapshot && init.packagesZip) pyodide.FS.writeFile(PACKAGES_ZIP, init.packagesZip);
  // Free the 30 MB snapshot now: detaching releases its memory at once,
  // where dropping the reference would leave it to a GC an idle worker
  // may never run.
  // The host's shared copy is only dropped.
  if (init.snapshot) {
    const snap = init.snapshot as Uint8Array;
    if (snap.buffer instanceof ArrayBuffer) snap.buffer.transfer(0);
    init.snapshot = undefined;
    init.snapshotRanges = undefined;
  }
  if (init.makeSnapshot) {
    const bytes = (pyodide as unknown as { makeMemorySnapshot(): Uint8Array }).makeMemorySnapshot();
    post({ t: "snapshot", bytes }, [bytes.buffer as ArrayBuffer]);
    return;
  }
  if (init.native) {
    try {
      installNative(pyodide, init.native, init.checkNative === true);
    } catch (e) {
      post({ t: "failed", reason: e instanceof PreloadError ? e.message : String(e) });
      throw e;
    }
    if (init.checkNative) {
      post({ t: "checked" });
      return;
    }
  }
  const harness = pyodide.runPython(
    `import sys\nsys.modules["_faas_harness"]`,
  ) as unknown as Harness;
  pyodide.setStdout({ write: (b: Uint8Array) => (out.writeBytes(b), b.length) });
  pyodide.setStderr({ write: (b: Uint8Array) => (err.writeBytes(b), b.length) });
  pyodide.setInterruptBuffer(new Int32Array(init.control, 0, 1));
  const heap = (pyodide as unknown as {
    _module: { HEAP8: Int8Array; _emscripten_get_sbrk_ptr(): number };
  })._module;
  const wasmBytes = () => heap.HEAP8.length;
  // The top of the interpreter's heap (C's break): a run's allocations that
  // earlier runs' freed memory cannot hold move it up. Read, not walked, so
  // it costs nothing per run (mallinfo walks every chunk: ~0.5 ms).
  const breakAt = heap._emscripten_get_sbrk_ptr();
  const heapTop = () => new Uint32Array(heap.HEAP8.buffer, breakAt, 1)[0];
  // Half the cap, but never so low that the interpreter's own ~30 MB
  // would retire every instance after one run.
  const retireAboveBytes = Math.max(init.memoryLimitBytes / 2, wasmBytes() + 64 * 2 ** 20);
  const journal = new FsJournal(pyodide.FS as unknown as EmscriptenFs);
  harness.connect(
    // Sleep on the interrupt slot so a soft stop wakes it; consume the
    // interrupt here and let Python raise it, as the eval loop would.
    (ms: number) => {
      // No timer fires while Python sleeps: send what it printed first.
      streaming?.flush();
      if (Atomics.wait(ctl, 0, 0, Math.max(0, ms)) === "timed-out") return false;
      Atomics.store(ctl, 0, 0);
      return true;
    },
    () => Atomics.load(ctl, 2) === -1,
  );
  const guard = new ClassGuard(pyodide, harness._class_tag_offset);
  guard.track(words(harness.class_ids()));
  harness.watch_classes(guard.tagged());
  // Without the dict watcher (another build), every reset restores every
  // module dict: slower, not weaker.
  let dicts: DictGuard | undefined;
  try {
    const addresses = words(harness.dict_ids());
    const canary = addresses.pop()!;
    dicts = new DictGuard(pyodide, addresses, canary, () => harness.touch_canary());
  } catch (e) {
    console.error(`Dict watcher unavailable, restoring every module dict: ${e}`);
  }

  const restoreRealm = lockDownRealm();
  let cancel: (() => void) | undefined;
  // Taken once: each attribute read of a proxy makes a new proxy.
  const start = harness.start;
  // Set when a run was stopped while its stack was switched out.
  let stackAbandoned = false;

  const cache = new CodeCache<PyProxyLike | null>(
    CODE_CACHE_SIZE,
    CACHEABLE_SOURCE_CHARS,
    (proxy) => proxy?.destroy(),
  );
  // Compiled code for `source`, a compile error's text, or null for empty
  // code. `oneOff` is set when the code was too long to keep and must be
  // freed after its run.
  let oneOff: PyProxyLike | undefined;
  function compiled(source: string): PyProxyLike | null | string {
    const hit = cache.get(source);
    if (hit !== undefined) return hit;
    const code = harness.compile_source(source) as PyProxyLike | string | undefined;
    if (typeof code === "string") return code;
    if (!cache.set(source, code ?? null)) oneOff = code ?? undefined;
    return code ?? null;
  }

  /**
   * Writes the run's files into its working directory, through the
   * journal, so the reset takes them away again.
   */
  function writeFiles(fs: typeof pyodide.FS, files: RunFile[]): void {
    const cwd = fs.cwd();
    for (const file of files) {
      const path = `${cwd}/${file.name}`;
      try {
        const slash = path.lastIndexOf("/");
        if (slash > cwd.length) fs.mkdirTree(path.slice(0, slash));
        fs.writeFile(path, file.encoding === "base64" ? base64Bytes(file.content) : file.content);
      } catch (e) {
        err.write(`Cannot write file ${JSON.stringify(file.name)}: ${errorText(e)}\n`);
        throw new FileWriteError();
      }
    }
  }

  async function run(msg: RunMessage): Promise<RunOutcome> {
    const streamer = msg.stream
      ? new OutputStreamer((fd, text) => post({ t: "output", id: msg.id, fd, text }))
      : undefined;
    streaming = streamer;
    out = new OutputBuffer(msg.maxOutputBytes, streamer && ((t) => streamer.push(1, t)));
    err = new OutputBuffer(msg.maxOutputBytes, streamer && ((t) => streamer.push(2, t)));
    const started = performance.now();
    let status: RunOutcome["status"] = "error";
    let retVal = "";
    let retValSet = false;
    let exitCode = 1;
    let retJson: string | null = null;
    let excType: string | null = null;
    let excMessage: string | null = null;
    let compileFailed = false;
    stackAbandoned = false;
    const topAtStart = heapTop();
    runStarted(ctl, msg.id);
    try {
      const code = compiled(msg.code);
      if (typeof code === "string") {
        err.write(code);
        const last = code.trim().split("\n").pop() ?? "";
        const m = last.match(/^([\w.]+): ?(.*)$/);
        [excType, excMessage] = m ? [m[1], m[2]] : ["SyntaxError", last];
        compileFailed = true;
        throw new CompileError();
      }
      // A session's instance keeps its files: nothing is journaled any more.
      if (msg.persist) journal.off = true;
      if (msg.files?.length) writeFiles(pyodide.FS, msg.files);
      const argv = msg.args?.length || msg.entry !== undefined
        ? JSON.stringify([msg.entry ?? "main.py", ...(msg.args ?? [])])
        : "";
      const stopped = new Promise<"stopped">((resolve) => {
        cancel = () => resolve("stopped");
      });
      const args = [
        code,
        msg.input,
        msg.stdin,
        argv,
        !!msg.files?.length,
        msg.persist === true,
      ] as const;
      let result: PyProxyLike;
      if (start.callPromising) {
        // Entered through a stack switch, so that code may block on a
        // coroutine (asyncio.run, run_until_complete) while the worker's
        // event loop drives it.
        const settled = await Promise.race([start.callPromising(...args), stopped]);
        if (settled === "stopped") {
          // Its stack stays suspended and would resume in a later run.
          stackAbandoned = true;
          throw new StoppedError();
        }
        result = settled;
      } else {
        result = start(...args);
      }
      if (result.type === "coroutine") {
        const settled = await Promise.race([result as unknown as Promise<PyProxyLike>, stopped]);
        if (settled === "stopped") {
          result.destroy();
          throw new StoppedError();
        }
        result.destroy();
        result = settled;
      }
      const tuple = result.toJs() as [
        RunOutcome["status"],
        string,
        number,
        boolean,
        string | null,
        string | null,
        string | null,
      ];
      result.destroy();
      [status, retVal, exitCode, retValSet, retJson, excType, excMessage] = tuple;
    } catch (e) {
      if (e instanceof CompileError || e instanceof FileWriteError) {
        // Reported on stderr already.
      } else if (e instanceof StoppedError || Atomics.load(ctl, 2) === -1) {
        status = "timeout";
      } else {
        err.write(`Internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    } finally {
      cancel = undefined;
      oneOff?.destroy();
      oneOff = undefined;
      runFinished(ctl, msg.id);
    }
    const durationMs = performance.now() - started;
    harness.flush();
    // The text() calls below flush the decoders; stream what they add too.
    const stdout = out.text();
    const stderr = err.text();
    streamer?.flush();
    const ret = capText(retVal, msg.maxOutputBytes);
    const extras = capExtras(retJson, excType, excMessage, msg.maxOutputBytes);
    return {
      id: msg.id,
      status,
      stdout,
      stderr,
      retVal: ret.text,
      retValSet,
      exitCode,
      retJson: extras.retJson,
      memoryBytes: Math.max(0, heapTop() - topAtStart),
      exception: extras.exception &&
        (compileFailed ? { ...extras.exception, compile: true } : extras.exception),
      truncated: out.truncated || err.truncated || ret.truncated || extras.truncated,
      durationMs,
    };
  }

  init.port.onmessage = async (e: MessageEvent<PortMessage>) => {
    const msg = e.data;
    if (msg.t === "cancel") {
      cancel?.();
      return;
    }
    if (msg.fileOp) {
      // A session's files are its state: from now on nothing is journaled.
      journal.off = true;
      let result: FileOpResult;
      try {
        result = pythonFileOp(pyodide.FS as unknown as SessionFs, msg.fileOp);
      } catch (e) {
        result = { ok: false, error: "invalid", message: `File operation failed: ${errorText(e)}` };
      }
      post({ t: "result", ...fileOpOutcome(msg.id, result), cpuMs: cpuLap() });
      parkUntilNeeded(gate);
      return;
    }
    let outcome: RunOutcome;
    try {
      outcome = await run(msg);
    } catch (e) {
      // Not the run's fault: this instance is in an unknown state.
      post({ t: "retire", reason: `run failed: ${e instanceof Error ? e.message : e}` });
      parkUntilNeeded(gate);
      return;
    }
    // Read before the reset takes the run's files away.
    if (msg.returnFiles?.length) Object.assign(outcome, returnedFiles(msg, outcome));
    // The reset happens before the result is sent and the worker parks in
    // the same task as it sends it: nothing of the run (a patched reset, a
    // callback it left) executes once the host may serve another instance.
    let retire: string | undefined;
    try {
      // A session's run leaves its interpreter as it is for the next one;
      // only this worker's own realm is put back. Its memory is bounded by
      // the wasm cap, not by retiring (that would end the session).
      if (msg.persist) restoreRealm();
      else reset();
      // A change the journal could not record cannot be undone, and wasm
      // memory never shrinks, so an inflated instance is replaced.
      if (journal.broken) retire = "filesystem change could not be undone";
      // Its suspended stack would resume inside a later run (a session's
      // too), so the instance goes.
      else if (stackAbandoned) retire = "run stopped while blocked on a coroutine";
      else if (!msg.persist && wasmBytes() > retireAboveBytes) {
        retire = "wasm memory grew past half the limit";
      }
    } catch (e) {
      // The reset itself failed (a run sabotaged it): nothing is known to
      // be clean any more, so this instance takes no further runs.
      retire = `reset failed: ${e instanceof Error ? e.message : e}`;
    }
    // Announced before the result, so the server never hands this
    // instance another run.
    if (retire) post({ t: "retire", reason: retire });
    post({ t: "result", ...outcome, cpuMs: cpuLap() });
    parkUntilNeeded(gate);
  };

  /**
   * The files of the working directory the run asked back; a failure to
   * read them is told on stderr (the run itself is over).
   */
  function returnedFiles(msg: RunMessage, outcome: RunOutcome): Partial<RunOutcome> {
    const fs = pyodide.FS as unknown as WalkableFs & { cwd(): string };
    try {
      return pickFiles(walkFiles(fs, fs.cwd()), msg.returnFiles ?? [], msg.maxOutputBytes);
    } catch (e) {
      return {
        files: [],
        stderr: `${outcome.stderr}Cannot read the files to return: ${errorText(e)}\n`,
      };
    }
  }

  /**
   * Undoes the run. What changed is read in JS and handed over, so the
   * reset makes no calls back into JS; empty lists go as null (no proxy to
   * build).
   */
  function reset(): void {
    const changedDicts = dicts?.changed();
    const changedClasses = guard.changed();
    harness.reset(
      changedDicts === undefined,
      changedDicts?.length ? changedDicts : null,
      changedClasses.length ? changedClasses : null,
    );
    for (const i of changedClasses) guard.accept(i);
    dicts?.clear();
    journal.restore();
    restoreRealm();
  }

  // One run of our own before the worker says it is ready, undone like any
  // other: a new key's first run then finds the run path (compiling, the
  // stack switch, the reset) warm rather than paying for it. It checks the
  // interpreter too: an instance that cannot run it never says ready.
  try {
    const outcome = await run(WARM_UP);
    if (outcome.status !== "success") throw new Error(outcome.stderr.trim() || outcome.status);
    reset();
  } catch (e) {
    post({ t: "failed", reason: `Warm-up run failed: ${e instanceof Error ? e.message : e}` });
    return;
  }
  cpuLap();
  post({ t: "ready" });
  parkUntilNeeded(gate);
};

/** The worker's own first run (see above): no caller's code or data. */
const WARM_UP: RunMessage = {
  t: "run",
  wid: -1,
  id: 0,
  language: "python",
  code: "import json\nwarm = json.dumps({'warm': [1, 2]})\nprint(warm)\nlen(warm)",
  input: "null",
  stdin: "",
  timeoutMs: 1000,
  maxOutputBytes: 1024,
};

/** The bytes of base64 text (checked by the route). */
function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** An Emscripten FS error's message (they carry an errno code, not text). */
function errorText(e: unknown): string {
  const code = (e as { code?: string; errno?: number })?.code;
  if (code) return code;
  return e instanceof Error ? e.message : String(e);
}

class StoppedError extends Error {}
class FileWriteError extends Error {}
class CompileError extends Error {}
