/**
 * Messages between the server, a sandbox host process and its workers.
 *
 * A host holds several workers (instances), each serving one isolation key,
 * and runs at most one of them at a time. Server and host talk
 * newline-delimited JSON over a private Unix socket, naming the worker by
 * `wid`; host and worker talk over a MessagePort created before any user
 * code runs. Neither channel is reachable from user code.
 */

/** A language a caller may ask for, after alias resolution. */
export type Language = "python" | "javascript" | "typescript";

/** A kind of instance: JavaScript and TypeScript share one. */
export type Runtime = "python" | "javascript";

/** Maps a language to the runtime that runs it. */
export function runtimeOf(language: Language): Runtime {
  return language === "python" ? "python" : "javascript";
}

/** How a run ended. */
export type RunStatus =
  | "success"
  | "error"
  | "timeout"
  | "memory_limit"
  | "killed"
  | "cancelled"
  | "client_gone";

/**
 * Why the server asks a run to stop early: its timeout, a cancel (a job
 * cancelled), or its caller hanging up.
 */
export type StopReason = "timeout" | "cancelled" | "client_gone";

/**
 * A file placed in a run's working directory before it starts: an
 * importable module or data the code reads. `name` is a relative path
 * already checked (no `..`, no leading `/`).
 */
export interface RunFile {
  name: string;
  content: string;
  /** How `content` is written: text (UTF-8) or base64 of the bytes. */
  encoding: "utf-8" | "base64";
}

/** One run, as the server hands it to a host and the host to its worker. */
export interface RunMessage {
  t: "run";
  /** The worker that runs it. */
  wid: number;
  id: number;
  language: Language;
  code: string;
  /** The caller's `input`, as JSON text ("null" when absent). */
  input: string;
  stdin: string;
  /** Command-line arguments (Python's `sys.argv[1:]`, JS's `process.argv.slice(2)`). */
  args?: string[];
  /** Files in the run's working directory; the code is the entry point. */
  files?: RunFile[];
  /** The entry point's file name (`sys.argv[0]`, the JS base for `require`). */
  entry?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Send output as it is produced (`output` messages), not only with the result. */
  stream?: boolean;
  /**
   * A session's run: the worker keeps what it leaves (globals, imports,
   * files) for the next run rather than resetting after it.
   */
  persist?: boolean;
  /**
   * Glob patterns (checked by the route): after the run, the worker hands
   * back the matching files of its working directory (`files` of the outcome).
   */
  returnFiles?: string[];
  /**
   * A session's file operation instead of code (`code` is empty): the
   * worker reads or changes its working directory and reports in
   * `fileResult`.
   */
  fileOp?: FileOp;
}

/** An operation on a session's files, by path relative to its working directory. */
export type FileOp =
  | {
    op: "put";
    path: string;
    /** The bytes, base64. */
    content: string;
    /** Bytes all the session's files may take together once it is written. */
    maxTotalBytes: number;
  }
  | { op: "get"; path: string }
  | { op: "list" }
  | { op: "delete"; path: string };

/** A file of a session, as a listing describes it. */
export interface FileEntry {
  name: string;
  size: number;
  /** Last written, epoch ms. */
  modified: number;
}

/** What a file operation found or did. */
export type FileOpResult =
  | { ok: true; created?: boolean; content?: string; files?: FileEntry[] }
  | {
    ok: false;
    /** not_found: no such file; too_large: past maxTotalBytes; invalid: not a file's path. */
    error: "not_found" | "too_large" | "invalid";
    message: string;
  };

/** A file a run left in its working directory, handed back to the caller. */
export interface ReturnedFile {
  /** Relative to the working directory. */
  name: string;
  size: number;
  /** The bytes, base64. */
  content: string;
}

/** Asks the host to stop a run softly (interrupt, abort). */
export interface CancelMessage {
  t: "cancel";
  wid: number;
  id: number;
  reason: StopReason;
}

/** Asks the host to start a new worker. */
export interface SpawnMessage {
  t: "spawn";
  wid: number;
}

/** Asks the host to end an idle worker. */
export interface DropMessage {
  t: "drop";
  wid: number;
}

/** What the server sends a host. */
export type ServerMessage = RunMessage | CancelMessage | SpawnMessage | DropMessage;

/** What the worker reports for one run. */
export interface RunOutcome {
  id: number;
  status: "success" | "error" | "timeout";
  stdout: string;
  stderr: string;
  /** The return value as text, "" when none. */
  retVal: string;
  /** Whether user code produced a return value (even an empty one). */
  retValSet: boolean;
  /** The return value as JSON text; absent when none or not serializable. */
  retJson?: string;
  /**
   * For runs that failed with an exception: its class (or error name) and
   * message; `compile` when the code did not compile (nothing of it ran).
   */
  exception?: { type: string; message: string; compile?: boolean };
  exitCode: number;
  truncated: boolean;
  durationMs: number;
  /**
   * Memory the run added to its instance, bytes, at its end: Python, how far
   * the interpreter heap's top moved up; JS, the growth of the V8 heap in
   * use. Memory reused from what the instance already held is not counted.
   */
  memoryBytes?: number;
  /** CPU time of the run's own worker thread, ms. */
  cpuMs?: number;
  /** For a run given `returnFiles`: the matching files that fit, by name. */
  files?: ReturnedFile[];
  /** Matching files left out for the count or byte cap, by name. */
  filesOmitted?: string[];
  /** For a file operation: its result. */
  fileResult?: FileOpResult;
}

/** A host's first message on the socket, proving which host it is. */
export interface HelloMessage {
  t: "hello";
  token: string;
}

/** The host is up and can start workers. */
export interface UpMessage {
  t: "up";
}

/** A worker finished loading and can take runs. */
export interface ReadyMessage {
  t: "ready";
  wid: number;
  /** The name of the worker's thread (`worker-<n>`), when the host knows it. */
  thread?: string;
}

/** A worker could not start. */
export interface FailedMessage {
  t: "failed";
  wid: number;
  reason: string;
}

/** A finished run. */
export interface ResultMessage extends RunOutcome {
  t: "result";
  wid: number;
}

/** Output of the running run, as it is produced (only for runs asked to stream). */
export interface OutputMessage {
  t: "output";
  wid: number;
  id: number;
  /** 1 for stdout, 2 for stderr. */
  fd: number;
  text: string;
}

/** The host crossed its memory cap and is about to exit. */
export interface MemoryMessage {
  t: "memory";
  rssBytes: number;
}

/**
 * The host's own account of its resources, sent four times a second (often
 * enough for the scheduler to see a burst of starts): the server
 * may not read /proc (Deno asks for all permissions there), the host reads
 * its own with plain Deno and Node APIs.
 */
export interface StatsMessage {
  t: "stats";
  rssBytes: number;
  cpuSeconds: number;
}

/**
 * The worker can no longer guarantee a clean next run (say, a filesystem
 * change it could not undo): it is dropped once its result is in. Sent
 * before the result, so no run is ever sent to it after that result.
 */
export interface RetireMessage {
  t: "retire";
  wid: number;
  reason: string;
}

/** What a host sends the server. */
export type HostMessage =
  | HelloMessage
  | UpMessage
  | ReadyMessage
  | FailedMessage
  | ResultMessage
  | MemoryMessage
  | OutputMessage
  | StatsMessage
  | RetireMessage;

/** What a worker sends its host (the host adds the worker's id). */
export type WorkerMessage =
  | { t: "ready" }
  | { t: "failed"; reason: string }
  | { t: "output"; id: number; fd: number; text: string }
  | { t: "retire"; reason: string }
  | ({ t: "result" } & RunOutcome);

/** Exit code a host uses when its memory watchdog fires. */
export const MEMORY_EXIT_CODE = 86;

/** Exit code of a Deno process that V8 ended for running out of heap. */
export const V8_OOM_EXIT_CODE = 133;
