/**
 * The sessions of this service: made, found for their owner, run one
 * operation at a time, expired when idle past their TTL, and ended. A
 * session that ended leaves a tombstone for a while, so that its next call
 * is told why (expired, deleted, killed) rather than just "not found".
 */
import {
  BadRequestError,
  NotFoundError,
  SessionFileTooLargeError,
  SessionLimitError,
  SessionLostError,
  UnavailableError,
} from "../core/errors.ts";
import {
  type FileOp,
  type FileOpResult,
  type Language,
  type Runtime,
  runtimeOf,
} from "../protocol/host_messages.ts";
import type { RunRequest, ScheduledResult } from "../scheduler/scheduler.ts";
import { Session } from "./session.ts";

/** What the registry needs of the scheduler. */
export interface SessionScheduler {
  submit(request: RunRequest, signal?: AbortSignal): Promise<ScheduledResult>;
  sessionLost(key: string): string | undefined;
  endSession(key: string): void;
  /** Starts the host and instance of new session key `key` ahead of its runs. */
  openSession(key: string, runtime: Runtime): void;
  /** Bytes the host of session key `key` (of `runtime`) takes or will take. */
  sessionBytes(key: string, runtime: Runtime): number;
}

/** Limits on sessions. */
export interface SessionLimits {
  /** Idle TTL when the caller names none, ms. */
  defaultTtlMs: number;
  /** Longest idle TTL a caller may ask for, ms (longer ones are clamped). */
  maxTtlMs: number;
  /** Live sessions per owner. */
  maxPerOwner: number;
  /** Live sessions in all. */
  maxTotal: number;
  /**
   * Bytes the sessions' hosts may take together (each session has a host
   * process of its own); 0 for no limit.
   */
  maxMemoryBytes: number;
  /** Bytes of one uploaded file. */
  maxFileBytes: number;
  /** Bytes a session's files may take together once an upload is written. */
  maxFilesBytes: number;
}

/** A file operation that succeeded: what it found. */
export type FileOpDone = Extract<FileOpResult, { ok: true }>;

/** How long a file operation may take, ms (it runs no user code). */
const FILE_OP_TIMEOUT_MS = 30_000;

/** How a session ended, for metrics. */
export type SessionEnd = "expired" | "deleted" | "killed" | "shutdown";

/** Callbacks the registry reports through. */
export interface SessionHooks {
  onCreated?(language: Language, session: Session): void;
  /** A run or file operation of `session` finished: its expiry moved on. */
  onUsed?(session: Session): void;
  onEnded?(language: Language, how: SessionEnd, session: Session): void;
}

interface Tombstone {
  owner: string;
  how: SessionEnd;
  /** For a killed session: why. */
  reason?: string;
  at: number;
}

/** How long an ended session is remembered, ms. */
const TOMBSTONE_MS = 3_600_000;
/** Most ended sessions remembered; the oldest are forgotten first. */
const MAX_TOMBSTONES = 10_000;
/** How often expiry is checked, ms. */
const SWEEP_MS = 1000;

/** Every live session of this service. */
export class SessionRegistry {
  #sessions = new Map<string, Session>();
  #tombstones = new Map<string, Tombstone>();
  #scheduler: SessionScheduler;
  #limits: SessionLimits;
  #hooks: SessionHooks;
  #timer: ReturnType<typeof setInterval>;

  constructor(scheduler: SessionScheduler, limits: SessionLimits, hooks: SessionHooks = {}) {
    this.#scheduler = scheduler;
    this.#limits = limits;
    this.#hooks = hooks;
    this.#timer = setInterval(() => this.sweep(), SWEEP_MS);
  }

  /** The settings it enforces. */
  get limits(): SessionLimits {
    return this.#limits;
  }

  /** Live sessions by language. */
  counts(): Record<Language, number> {
    const counts: Record<Language, number> = { python: 0, javascript: 0, typescript: 0 };
    for (const session of this.#sessions.values()) counts[session.language]++;
    return counts;
  }

  /**
   * Makes a session for `owner`, who holds `elsewhere` more on other
   * replicas; `ttlMs` is clamped to the maximum. Throws
   * SessionLimitError past the owner's limit, UnavailableError past the
   * service's.
   */
  create(owner: string, language: Language, ttlMs?: number, elsewhere = 0): Session {
    let mine = elsewhere;
    for (const session of this.#sessions.values()) if (session.owner === owner) mine++;
    if (mine >= this.#limits.maxPerOwner) {
      throw new SessionLimitError(
        `You have ${mine} live sessions, the most allowed (FAAS_MAX_SESSIONS_PER_KEY is ` +
          `${this.#limits.maxPerOwner}); delete one or let one expire`,
      );
    }
    if (this.#sessions.size >= this.#limits.maxTotal) {
      throw new UnavailableError(
        `The service holds ${this.#sessions.size} sessions, the most it keeps ` +
          `(FAAS_MAX_SESSIONS); retry once one has ended`,
      );
    }
    this.#checkMemory(language);
    const ttl = Math.min(ttlMs ?? this.#limits.defaultTtlMs, this.#limits.maxTtlMs);
    const session = new Session(language, owner, ttl);
    this.#sessions.set(session.id, session);
    this.#scheduler.openSession(session.key, runtimeOf(language));
    this.#hooks.onCreated?.(language, session);
    return session;
  }

  /** Throws UnavailableError when one more session of `language` would not fit its memory. */
  #checkMemory(language: Language): void {
    const limit = this.#limits.maxMemoryBytes;
    if (limit <= 0) return;
    const runtime = runtimeOf(language);
    let used = 0;
    for (const s of this.#sessions.values()) {
      used += this.#scheduler.sessionBytes(s.key, runtimeOf(s.language));
    }
    const more = this.#scheduler.sessionBytes("", runtime);
    if (used + more <= limit) return;
    const mib = (n: number) => Math.round(n / 2 ** 20);
    throw new UnavailableError(
      `The service's sessions take ${mib(used)} MiB and a ${language} session needs about ` +
        `${mib(more)} MiB more, past the ${mib(limit)} MiB sessions may use (three quarters of ` +
        `FAAS_WARM_MEMORY_MB); retry once one has ended`,
    );
  }

  /**
   * The live session `id` of `owner`. Throws NotFoundError when there is
   * none (or it is another owner's), saying when it expired or was
   * deleted, and SessionLostError when it was killed.
   */
  find(id: string, owner: string): Session {
    const session = this.#sessions.get(id);
    if (session?.owner === owner) {
      const lost = this.#scheduler.sessionLost(session.key);
      if (lost === undefined) return session;
      this.#end(session, "killed", lost);
    }
    const tomb = this.#tombstones.get(id);
    if (tomb?.owner === owner) {
      if (tomb.how === "killed") throw new SessionLostError(tomb.reason ?? "it was killed");
      const at = new Date(tomb.at).toISOString();
      throw new NotFoundError(
        tomb.how === "expired"
          ? `Session ${id} expired at ${at}: it was idle longer than its TTL`
          : tomb.how === "deleted"
          ? `Session ${id} was deleted at ${at}`
          : `Session ${id} ended at ${at} when the service shut down`,
      );
    }
    throw new NotFoundError(
      `Session ${id} not found: it does not exist, is not yours, or ended before the ` +
        "service last restarted (sessions do not survive a restart)",
    );
  }

  /** The live sessions of `owner`, oldest first. */
  list(owner: string): Session[] {
    return [...this.#sessions.values()].filter((s) => s.owner === owner);
  }

  /** Ends session `id` of `owner` (its instance and memory go with it). */
  delete(id: string, owner: string): void {
    const session = this.#sessions.get(id);
    if (!session || session.owner !== owner) {
      this.find(id, owner);
      return;
    }
    this.#end(session, "deleted");
  }

  /**
   * Runs `request` in `session`, after the session's earlier operations.
   * A run that killed the session's sandbox is answered as usual; the
   * session's next call is refused with SessionLostError saying why.
   */
  run(session: Session, request: RunRequest, signal?: AbortSignal): Promise<ScheduledResult> {
    return this.#used(session, async () => {
      this.#checkLive(session);
      let scheduled: ScheduledResult;
      try {
        scheduled = await this.#scheduler.submit(
          { ...request, key: session.key, persist: true },
          signal,
        );
      } catch (err) {
        if (err instanceof SessionLostError) this.#end(session, "killed", err.reason);
        throw err;
      }
      session.runs++;
      const lost = this.#scheduler.sessionLost(session.key);
      if (lost !== undefined) {
        const { result } = scheduled;
        const own = result.status === "success" || result.status === "error"
          ? undefined
          : `its run ended with ${result.status}${result.error ? ` (${result.error})` : ""}`;
        this.#end(session, "killed", own ?? lost);
      }
      return scheduled;
    });
  }

  /**
   * Does a file operation on `session`'s working directory, in turn with
   * its runs. Throws NotFoundError for a missing file, and
   * SessionFileTooLargeError or BadRequestError for a write refused.
   */
  files(session: Session, op: FileOp, signal?: AbortSignal): Promise<FileOpDone> {
    return this.#used(session, async () => {
      this.#checkLive(session);
      let scheduled: ScheduledResult;
      try {
        scheduled = await this.#scheduler.submit({
          language: session.language,
          code: "",
          input: "null",
          stdin: "",
          timeoutMs: FILE_OP_TIMEOUT_MS,
          priority: "normal",
          key: session.key,
          persist: true,
          fileOp: op,
        }, signal);
      } catch (err) {
        if (err instanceof SessionLostError) this.#end(session, "killed", err.reason);
        throw err;
      }
      const { result } = scheduled;
      const done = result.fileResult;
      if (!done) {
        const lost = this.#scheduler.sessionLost(session.key);
        if (lost !== undefined) this.#end(session, "killed", lost);
        throw new SessionLostError(lost ?? result.error ?? `its sandbox ended (${result.status})`);
      }
      if (done.ok) return done;
      const path = "path" in op ? op.path : "";
      if (done.error === "not_found") {
        throw new NotFoundError(`File ${JSON.stringify(path)} not found in session ${session.id}`);
      }
      if (done.error === "too_large") throw new SessionFileTooLargeError(done.message);
      throw new BadRequestError(`Invalid path: ${done.message}`, [
        { field: "path", message: done.message },
      ]);
    });
  }

  /** Runs `task` in turn in `session`, then reports its use: its expiry moved on. */
  async #used<T>(session: Session, task: () => Promise<T>): Promise<T> {
    try {
      return await session.serialize(task);
    } finally {
      // A session the operation ended (killed) is reported ended instead.
      if (this.#sessions.get(session.id) === session) this.#hooks.onUsed?.(session);
    }
  }

  /** Throws when `session` ended while its operation waited its turn. */
  #checkLive(session: Session): void {
    if (this.#sessions.get(session.id) !== session) this.find(session.id, session.owner);
    const lost = this.#scheduler.sessionLost(session.key);
    if (lost !== undefined) {
      this.#end(session, "killed", lost);
      throw new SessionLostError(lost);
    }
  }

  /** Ends sessions idle past their TTL, and forgets old tombstones. */
  sweep(now = Date.now()): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.pending === 0 && now >= session.expiresAt) this.#end(session, "expired");
    }
    for (const [id, tomb] of this.#tombstones) {
      if (now - tomb.at < TOMBSTONE_MS && this.#tombstones.size <= MAX_TOMBSTONES) break;
      this.#tombstones.delete(id);
    }
  }

  #end(session: Session, how: SessionEnd, reason?: string): void {
    if (this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    this.#scheduler.endSession(session.key);
    this.#tombstones.set(session.id, { owner: session.owner, how, reason, at: Date.now() });
    this.#hooks.onEnded?.(session.language, how, session);
  }

  /** Ends every session (the service is shutting down). */
  close(): void {
    clearInterval(this.#timer);
    for (const session of [...this.#sessions.values()]) this.#end(session, "shutdown");
  }
}
