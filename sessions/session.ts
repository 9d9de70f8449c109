/**
 * One session: an isolation key of its own whose instance keeps its state
 * (globals, imports, files) from run to run, owned by the caller that made
 * it. Its runs (and file operations) go one at a time, in arrival order.
 */
import type { Language } from "../protocol/host_messages.ts";
import { sessionKey } from "../core/isolation_key.ts";

/** A session as its owner sees it. */
export interface SessionView {
  id: string;
  language: Language;
  /** When it ends unless used again (ISO 8601). */
  expires_at: string;
  created_at: string;
  last_used_at: string;
  /** Idle time after which it ends, s. */
  ttl_s: number;
  /** Runs it finished. */
  runs: number;
  /** Whether a run or file operation is in progress or waiting. */
  busy: boolean;
}

/** A live session. */
export class Session {
  readonly id: string;
  readonly key: string;
  readonly language: Language;
  /** Who may use it: the API key and tenant that made it. */
  readonly owner: string;
  readonly ttlMs: number;
  readonly createdAt = Date.now();
  lastUsedAt = this.createdAt;
  runs = 0;
  /** Operations in progress or waiting. */
  pending = 0;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(language: Language, owner: string, ttlMs: number) {
    this.id = crypto.randomUUID();
    this.key = sessionKey(this.id);
    this.language = language;
    this.owner = owner;
    this.ttlMs = ttlMs;
  }

  /** When it expires unless used (epoch ms); never while an operation is pending. */
  get expiresAt(): number {
    return this.lastUsedAt + this.ttlMs;
  }

  /**
   * Runs `task` after every operation that arrived before it: runs of one
   * session never overlap, and go in the order they came.
   */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    this.lastUsedAt = Date.now();
    const result = this.#tail.then(task);
    this.#tail = result.then(() => {}, () => {}).finally(() => {
      this.pending--;
      this.lastUsedAt = Date.now();
    });
    return result;
  }

  /** Its description for the API. */
  view(): SessionView {
    return {
      id: this.id,
      language: this.language,
      expires_at: new Date(this.expiresAt).toISOString(),
      created_at: new Date(this.createdAt).toISOString(),
      last_used_at: new Date(this.lastUsedAt).toISOString(),
      ttl_s: this.ttlMs / 1000,
      runs: this.runs,
      busy: this.pending > 0,
    };
  }
}
