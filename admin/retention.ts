/**
 * How long kept data stays: done and cancelled jobs, dead letters and the
 * audit log, each kept its configured days (`retention.*` settings). What
 * each kind holds is measured on demand; a clean-up deletes what is older
 * than its days (or than the days asked for), on request and, while
 * `retention.auto` is on, at start-up and every hour.
 */
import type { Logger } from "../core/log.ts";
import type { KeptStats } from "../jobs/types.ts";
import type { JobStore } from "../jobs/types.ts";
import type { AuditLog } from "./audit_log.ts";
import type { RuntimeSettings } from "./runtime_settings.ts";
import type { AdminStore } from "./types.ts";
import type { UsageStore } from "./usage_types.ts";

/** The kinds of kept data a clean-up deletes from. */
export type DataClass = "jobs" | "dead_letters" | "audit" | "usage_history";

/** How much one kind of data holds, and how long it is kept. */
export interface ClassStats extends KeptStats {
  days: number;
}

/** How many items a clean-up deleted, per kind. */
export type Deleted = Partial<Record<DataClass, number>>;

const MS_PER_DAY = 86_400_000;
const dayOf = (ms: number) => Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
const HOUR_MS = 3_600_000;

/** Measures and cleans up the kept data. */
export class Retention {
  #jobs: JobStore;
  #admin: AdminStore;
  #settings: RuntimeSettings;
  #audit: AuditLog;
  #logger: Logger;
  #usage: UsageStore | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #auto: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    jobs: JobStore,
    admin: AdminStore,
    settings: RuntimeSettings,
    audit: AuditLog,
    logger: Logger,
    usage?: UsageStore,
  ) {
    this.#usage = usage;
    this.#jobs = jobs;
    this.#admin = admin;
    this.#settings = settings;
    this.#audit = audit;
    this.#logger = logger;
  }

  /** What each kind of data holds now, with its configured days. */
  async stats(): Promise<Partial<Record<DataClass, ClassStats>>> {
    const days = this.#settings.retention;
    const [kept, audit, usage] = await Promise.all([
      this.#jobs.keptStats(),
      this.#admin.auditStats(),
      this.#usage?.keptStats(),
    ]);
    return {
      jobs: { ...kept.jobs, days: days.jobsDays },
      dead_letters: { ...kept.deadLetters, days: days.deadLettersDays },
      audit: { ...audit, days: days.auditDays },
      ...(usage && { usage_history: { ...usage, days: days.usageDays } }),
    };
  }

  /**
   * Deletes what is older than `olderThanDays`, or than each kind's
   * configured days without it; how many of each went.
   */
  async cleanup(olderThanDays?: number, now = Date.now()): Promise<Deleted> {
    const days = this.#settings.retention;
    const before = (configured: number) => now - (olderThanDays ?? configured) * MS_PER_DAY;
    return {
      jobs: await this.#jobs.deleteFinishedBefore(before(days.jobsDays)),
      dead_letters: await this.#jobs.deleteDeadLetters(before(days.deadLettersDays)),
      audit: await this.#admin.deleteAuditBefore(before(days.auditDays)),
      // Today's hours stay whatever the days: daily quotas are read from them.
      ...(this.#usage && {
        usage_history: await this.#usage.deleteBefore(
          Math.min(before(days.usageDays), dayOf(now)),
        ),
      }),
    };
  }

  /** Cleans up now and then every `everyMs` while `retention.auto` is on, until `close()`. */
  start(everyMs = HOUR_MS): void {
    if (this.#closed) return;
    this.#runAuto();
    this.#timer ??= setInterval(() => this.#runAuto(), everyMs);
  }

  #runAuto(): void {
    this.#auto = this.#auto.then(async () => {
      if (this.#closed || !this.#settings.retention.auto) return;
      try {
        const deleted = await this.cleanup();
        if (Object.values(deleted).some((n) => n > 0)) {
          // Deletions are audited, whoever made them; an hour without any is not.
          this.#audit.later({
            actor: "",
            role: "",
            action: "retention.cleanup",
            target: "auto",
            outcome: "ok",
            after: { older_than_days: null, deleted },
            requestId: "",
          });
        }
      } catch (err) {
        this.#logger.warn("retention clean-up failed", {
          reason: err instanceof Error ? err.message : String(err),
        });
      }
    });
  }

  /** Stops the schedule; resolves once a clean-up under way is over. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#auto;
  }
}
