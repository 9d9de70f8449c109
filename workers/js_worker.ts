/// <reference lib="deno.worker" />
/**
 * Worker entry for a JavaScript/TypeScript instance: every run gets a fresh
 * `node:vm` context whose globals the prelude builds, so runs share no
 * globals or intrinsics.
 */
import vm from "node:vm";
import v8 from "node:v8";
import { stripTypeScriptTypes } from "node:module";
import type { RunMessage, RunOutcome, WorkerMessage } from "../protocol/host_messages.ts";
import { JS_PRELUDE, JS_PRELUDE_FILENAME } from "./js_prelude.ts";
import { JS_WEB_GLOBALS, JS_WEB_GLOBALS_FILENAME, parseUrlParts } from "./js_web_globals.ts";
import { CodeCache } from "./code_cache.ts";
import { capExtras, capText, OutputBuffer, OutputStreamer } from "./output_buffer.ts";
import {
  cpuLap,
  type InitMessage,
  keepWorkerAlive,
  macrotasks,
  parkUntilNeeded,
  type PortMessage,
} from "./worker_common.ts";
import { lockDownRealm } from "./realm_lockdown.ts";
import { collectYoungGarbage } from "./young_garbage.ts";
import { pickFiles } from "./returned_files.ts";
import { fileOpOutcome, jsFileOp } from "./session_files.ts";
import {
  hasModuleSyntax,
  type LoadedModule,
  RunFiles,
  stripTypes,
  toCommonJs,
} from "./js_modules.ts";

type Status = RunOutcome["status"];
type Install = (
  host: HostApi,
  inputJson: string,
  stdin: string,
  wrapperLine: number,
  argsJson: string,
  namesJson: string,
  entry: string,
) => (p: unknown) => void;

/** A new context with the prelude evaluated, ready for one run. */
interface Fresh {
  ctx: vm.Context;
  install: Install;
  /** The context's own `Promise.resolve`, taken before any user code ran. */
  resolve: (value: unknown) => unknown;
}

/** Functions the prelude captures; they take and return primitives only. */
interface HostApi {
  write(fd: unknown, text: unknown): void;
  setTimer(cb: () => void, ms: number, repeat: boolean): number;
  clearTimer(id: number): void;
  finish(
    status: unknown,
    retVal: unknown,
    retValSet: unknown,
    exitCode: unknown,
    retJson?: unknown,
    excType?: unknown,
    excMessage?: unknown,
  ): void;
  now(): number;
  randomUUID(): string;
  fillRandom(array: unknown): boolean;
  btoa(text: string): string | null;
  atob(text: string): string | null;
  /** A run file's module wrapper, compiled in the run's context, or why it could not be. */
  loadModule(name: string): LoadedModule;
  /** A run file's text, or its bytes as base64; null when there is no such file. */
  readFile(name: string, binary: boolean): string | null;
  /** Writes a run file (text, or bytes as base64); why it could not be, or null. */
  writeFile(name: unknown, content: unknown, base64: unknown, append: unknown): string | null;
  /** Removes a run file; false when there was none. */
  removeFile(name: unknown): boolean;
}

const STATUSES = new Set<unknown>(["success", "error"]);
const WRAP_OPEN = "(async function () {\n";
const WRAP_CLOSE = "\n})()";

keepWorkerAlive();
const later = macrotasks();

self.onmessage = (event: MessageEvent<InitMessage>) => {
  self.onmessage = null;
  const { port } = event.data;
  const gate = new Int32Array(event.data.gate);
  const post = port.postMessage.bind(port);
  const web = new vm.Script(JS_WEB_GLOBALS, { filename: JS_WEB_GLOBALS_FILENAME });
  const prelude = new vm.Script(JS_PRELUDE, { filename: JS_PRELUDE_FILENAME });
  let current: ActiveRun | undefined;

  function fresh(): Fresh {
    const ctx = vm.createContext();
    (web.runInContext(ctx) as (parse: typeof parseUrlParts) => void)(parseUrlParts);
    const resolve = vm.runInContext("Promise.resolve.bind(Promise)", ctx) as Fresh["resolve"];
    return { ctx, install: prelude.runInContext(ctx) as Install, resolve };
  }
  // A session's context, kept across its runs; each run installs its own
  // console, timers, INPUT and the like into it again.
  let session: Fresh | undefined;
  // A session's files, kept across its runs and changed by its file operations.
  let sessionFiles: RunFiles | undefined;
  // User code can reach this realm within its key (through stack-trace
  // objects), so it holds only the allowlist, before any run.
  const restoreRealm = lockDownRealm();
  // Built before parking, so a run never waits for its context.
  let spare: Fresh | undefined = fresh();

  port.onmessage = (e: MessageEvent<PortMessage>) => {
    const msg = e.data;
    if (msg.t === "cancel") {
      if (current?.id === msg.id) current.complete("timeout", "", false, 1);
      return;
    }
    if (msg.fileOp) {
      session ??= spare ?? fresh();
      sessionFiles ??= new RunFiles(undefined, session.ctx);
      const outcome = fileOpOutcome(msg.id, jsFileOp(sessionFiles, msg.fileOp));
      post({ t: "result", ...outcome, cpuMs: cpuLap() });
      parkUntilNeeded(gate);
      return;
    }
    let context: Fresh;
    let files: RunFiles | undefined;
    if (!msg.persist) context = spare ?? fresh();
    else {
      context = session
        ? { ...session, install: prelude.runInContext(session.ctx) }
        : spare ?? fresh();
      session = context;
      sessionFiles ??= new RunFiles(undefined, context.ctx);
      files = sessionFiles;
    }
    spare = undefined;
    current = new ActiveRun(msg, context, files, (outcome) => {
      current = undefined;
      // The realm is put back before the result goes, and the worker parks
      // in the same task as it sends it: nothing of this run executes once
      // the host may serve another instance. The next run's context is
      // built after the result, off the caller's wait (only our code runs
      // then, in a context no run has had).
      let healthy = true;
      try {
        restoreRealm();
      } catch (e) {
        healthy = false;
        post({ t: "retire", reason: `reset failed: ${e instanceof Error ? e.message : e}` });
      }
      post({ t: "result", ...outcome, cpuMs: cpuLap() });
      // A session's instance runs its session only: no fresh context.
      if (healthy && !msg.persist) {
        try {
          spare = fresh();
        } catch (e) {
          post({ t: "retire", reason: `no fresh context: ${e instanceof Error ? e.message : e}` });
        }
      }
      parkUntilNeeded(gate);
    }, post);
  };
  // One run of our own, in a context thrown away after it, before the
  // worker says it is ready: the first caller's run (a new key's) then
  // finds the run path compiled rather than paying for it.
  new ActiveRun(WARM_UP, fresh(), undefined, () => {
    restoreRealm();
    // While still a spare, not in the first caller's run.
    collectYoungGarbage();
    cpuLap();
    post({ t: "ready" });
    parkUntilNeeded(gate);
  }, () => {});
};

/** The worker's own first run (see above): no caller's code or data. */
const WARM_UP: RunMessage = {
  t: "run",
  wid: -1,
  id: 0,
  language: "javascript",
  code: "const warm = [1, 2].map((n) => n * 2); console.log(warm.join(' ')); return warm.length;",
  input: "null",
  stdin: "",
  timeoutMs: 1000,
  maxOutputBytes: 1024,
};

/** One run: its context, output, timers and deadline. */
class ActiveRun {
  readonly id: number;
  #out: OutputBuffer;
  #err: OutputBuffer;
  #timers = new Set<number>();
  #started = performance.now();
  /** V8 heap in use when the run began: what it holds beyond is the run's. */
  #heapAtStart = v8.getHeapStatistics().used_heap_size;
  #deadline: ReturnType<typeof setTimeout>;
  #done = false;
  #report: (outcome: RunOutcome) => void;
  #maxOutputBytes: number;
  #streamer?: OutputStreamer;
  #files: RunFiles;
  #returnFiles?: string[];

  constructor(
    msg: RunMessage,
    context: Fresh,
    /** A session's files, kept from run to run; a run of its own otherwise. */
    sessionFiles: RunFiles | undefined,
    report: (outcome: RunOutcome) => void,
    post: (message: WorkerMessage) => void,
  ) {
    this.id = msg.id;
    this.#report = report;
    this.#maxOutputBytes = msg.maxOutputBytes;
    sessionFiles?.add(msg.files);
    this.#files = sessionFiles ?? new RunFiles(msg.files, context.ctx);
    this.#returnFiles = msg.returnFiles?.length ? msg.returnFiles : undefined;
    if (msg.stream) {
      this.#streamer = new OutputStreamer((fd, text) =>
        post({ t: "output", id: msg.id, fd, text })
      );
    }
    const streamer = this.#streamer;
    this.#out = new OutputBuffer(msg.maxOutputBytes, streamer && ((t) => streamer.push(1, t)));
    this.#err = new OutputBuffer(msg.maxOutputBytes, streamer && ((t) => streamer.push(2, t)));
    // Async work the vm timeout cannot see ends here, unless it spins, in
    // which case the server kills the host.
    this.#deadline = setTimeout(
      () => this.complete("timeout", "", false, 1),
      msg.timeoutMs,
    );
    let script: vm.Script;
    let plain = false;
    try {
      ({ script, plain } = compiled(msg));
    } catch (e) {
      const text = compileErrorText(e, msg);
      this.#err.write(text);
      const message = text.split("\n")[0].replace(/^SyntaxError: /, "");
      this.complete("error", "", false, 1, {
        exception: { type: "SyntaxError", message, compile: true },
        truncated: false,
      });
      return;
    }
    const lastLine = msg.code.split("\n").length + 1;
    const files = this.#files;
    const entry = msg.entry ?? (msg.language === "typescript" ? "main.ts" : "main.js");
    const start = context.install(
      this.#hostApi(files),
      msg.input,
      msg.stdin,
      lastLine,
      JSON.stringify(msg.args ?? []),
      files.namesJson(),
      entry,
    );
    let promise: unknown;
    try {
      promise = script.runInContext(context.ctx, { timeout: msg.timeoutMs });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        this.complete("timeout", "", false, 1);
      } else {
        this.#err.write(`Uncaught ${String(e)}\n`);
        this.complete("error", "", false, 1, {
          exception: { type: "Error", message: String(e) },
          truncated: false,
        });
      }
      return;
    }
    // A plain script's value is its last expression's, as in a REPL.
    start(plain ? context.resolve(promise) : promise);
  }

  #hostApi(files: RunFiles): HostApi {
    return {
      write: (fd, text) => {
        if (this.#done || typeof text !== "string") return;
        (fd === 2 ? this.#err : this.#out).write(text);
      },
      setTimer: (cb, ms, repeat) => {
        if (this.#done) return 0;
        const id = Number((repeat ? setInterval : setTimeout)(() => {
          if (!repeat) this.#timers.delete(id);
          cb();
        }, ms));
        this.#timers.add(id);
        return id;
      },
      clearTimer: (id) => {
        if (this.#timers.delete(id)) clearTimeout(id);
      },
      finish: (status, retVal, retValSet, exitCode, retJson, excType, excMessage) => {
        this.complete(
          STATUSES.has(status) ? status as Status : "error",
          typeof retVal === "string" ? retVal : "",
          retValSet === true,
          typeof exitCode === "number" ? exitCode : 1,
          capExtras(retJson, excType, excMessage, this.#maxOutputBytes),
        );
      },
      now: () => performance.now() - this.#started,
      randomUUID: () => crypto.randomUUID(),
      fillRandom: (array) => {
        try {
          crypto.getRandomValues(array as Uint8Array);
          return true;
        } catch {
          return false;
        }
      },
      btoa: (text) => attempt(() => btoa(text)),
      atob: (text) => attempt(() => atob(text)),
      loadModule: (name) => this.#done ? "The run has ended" : files.load(String(name)),
      readFile: (name, binary) => this.#done ? null : files.read(String(name), binary === true),
      writeFile: (name, content, base64, append) => {
        if (this.#done) return "The run has ended";
        if (typeof name !== "string" || typeof content !== "string") return "Invalid arguments";
        return files.write(name, content, base64 === true, append === true);
      },
      removeFile: (name) => !this.#done && typeof name === "string" && files.remove(name),
    };
  }

  /** Ends the run once; later calls (a late timer, a second finish) are ignored. */
  complete(
    status: Status,
    retVal: string,
    retValSet: boolean,
    exitCode: number,
    extras: Pick<RunOutcome, "retJson" | "exception"> & { truncated: boolean } = {
      truncated: false,
    },
  ): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#deadline);
    for (const id of this.#timers) clearTimeout(id);
    this.#timers.clear();
    const ret = capText(retVal, this.#maxOutputBytes);
    this.#streamer?.flush();
    const outcome: RunOutcome = {
      id: this.id,
      status,
      stdout: this.#out.text(),
      stderr: this.#err.text(),
      retVal: ret.text,
      retValSet,
      retJson: extras.retJson,
      memoryBytes: Math.max(0, v8.getHeapStatistics().used_heap_size - this.#heapAtStart),
      exception: extras.exception,
      exitCode,
      truncated: this.#out.truncated || this.#err.truncated || ret.truncated || extras.truncated,
      durationMs: performance.now() - this.#started,
      ...(this.#returnFiles &&
        pickFiles(this.#files.found(), this.#returnFiles, this.#maxOutputBytes)),
    };
    // Report from a macrotask: microtask chains the run left behind finish
    // first, or spin here and the run times out instead of the next one.
    later(() => this.#report(outcome));
  }
}

function attempt(fn: () => string): string | null {
  try {
    return fn();
  } catch {
    return null;
  }
}

/**
 * Compiled scripts by language and source. A vm.Script is bound to no
 * context, so one compiled for an earlier run carries nothing of it.
 */
const scripts = new CodeCache<Compiled>(256, 64 * 1024);

/** A compiled run: `plain` when it is a script, not wrapped in an async function. */
interface Compiled {
  script: vm.Script;
  plain: boolean;
}

function compiled(msg: RunMessage): Compiled {
  const key = `${msg.persist ? "session" : "run"}\n${msg.language}\n${msg.code}`;
  let script = scripts.get(key);
  if (!script) {
    script = msg.persist ? compileSession(msg) : { script: compile(msg), plain: false };
    scripts.set(key, script);
  }
  return script;
}

/**
 * A session's run is a plain script when it can be one, so that its
 * top-level declarations stay in the context for the next run (`let`,
 * `const` and `class` become `var`, so running a declaration again
 * redefines it). Code that needs the async wrapper (top-level `await` or
 * `return`) runs in it, and its declarations then end with the run.
 */
function compileSession(msg: RunMessage): Compiled {
  let source = msg.code;
  if (msg.language === "typescript") source = stripTypes(source);
  if (hasModuleSyntax(msg.code)) source = toCommonJs(source, true);
  source = source
    .replace(/(^|; )(?:let|const)(?=[\s{[])/gm, "$1var")
    .replace(/^class\s+([A-Za-z_$][\w$]*)/gm, "var $1 = class $1");
  const ext = msg.language === "typescript" ? "ts" : "js";
  try {
    return { script: new vm.Script(source, { filename: `user.${ext}` }), plain: true };
  } catch {
    return { script: compile(msg), plain: false };
  }
}

function compile(msg: RunMessage): vm.Script {
  let code = msg.code;
  let typed = msg.language === "typescript";
  if (typed && hasModuleSyntax(code)) {
    // Imports parse only at a module's top level, not inside the wrapper:
    // such code loses its types first (should it not parse on its own, it
    // is stripped inside the wrapper as before).
    try {
      code = stripTypes(code);
      typed = false;
    } catch {
      // Stripped inside the wrapper below.
    }
  }
  let source = WRAP_OPEN + code + WRAP_CLOSE;
  // Enums and namespaces need code, not just erasure.
  if (typed) source = stripTypes(source);
  // Static imports become require() calls, which a script can make.
  if (hasModuleSyntax(msg.code)) source = toCommonJs(source, true);
  const ext = msg.language === "typescript" ? "ts" : "js";
  return new vm.Script(source, { filename: `user.${ext}`, lineOffset: -1 });
}

/**
 * V8 reports no position for a syntax error in a vm script; the TypeScript
 * parser does, so its message is preferred, with positions made relative to
 * the user's code.
 */
function compileErrorText(e: unknown, msg: RunMessage): string {
  const file = msg.language === "typescript" ? "user.ts" : "user.js";
  let detail = e instanceof Error ? e.message : String(e);
  let where = detail.match(PARSER_POSITION);
  if (msg.language !== "typescript") {
    try {
      stripTypeScriptTypes(WRAP_OPEN + msg.code + WRAP_CLOSE, { mode: "strip" });
    } catch (parseError) {
      where = (parseError as Error).message.match(PARSER_POSITION);
    }
  } else {
    detail = detail.replace(/^SyntaxError: /, "").split("\n")[0];
  }
  const at = where ? `\n    at ${file}:${Number(where[1]) - 1}:${where[2]}` : ` (in ${file})`;
  return `SyntaxError: ${detail}${at}\n`;
}

const PARSER_POSITION = /at file:\/\/\/stripTypeScriptTypes\.ts:(\d+):(\d+)\s*$/;
