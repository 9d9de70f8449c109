/**
 * Records the audit log: admin actions are written before their answer
 * goes out; refused calls and runs are gathered and written in batches, so
 * recording costs a request nothing it waits for.
 */
import type { Logger } from "../core/log.ts";
import type { AdminStore, AuditEntry } from "./types.ts";

/** An entry as its writer gives it; id and time are added here. */
export type AuditInput = Omit<AuditEntry, "id" | "at"> & { at?: number };

const FLUSH_MS = 250;
const MAX_PENDING = 10_000;

/** Writes audit entries to the admin store. */
export class AuditLog {
  #store: AdminStore;
  #logger: Logger;
  #pending: AuditEntry[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: AdminStore, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  /** Writes one entry now (an admin action: its answer waits for the record). */
  async record(input: AuditInput): Promise<AuditEntry> {
    const entry = this.#entry(input);
    await this.#store.appendAudit([entry]);
    return entry;
  }

  /** Queues an entry for the next batch (a refused call, a run). */
  later(input: AuditInput): void {
    if (this.#pending.length >= MAX_PENDING) {
      this.#logger.warn("audit entry dropped: too many waiting to be written", {
        action: input.action,
      });
      return;
    }
    this.#pending.push(this.#entry(input));
    this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is queued. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0);
    if (!batch.length) return this.#flushing;
    this.#flushing = this.#flushing.then(() => this.#store.appendAudit(batch)).catch((err) => {
      this.#logger.warn("audit entries could not be written", {
        entries: batch.length,
        reason: err instanceof Error ? err.message : String(err),
      });
    });
    return this.#flushing;
  }

  #entry(input: AuditInput): AuditEntry {
    return { id: crypto.randomUUID(), ...input, at: input.at ?? Date.now() };
  }
}
