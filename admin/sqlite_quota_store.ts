/** Quota limits in SQLite (`node:sqlite`), in the same database file as the jobs. */
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../jobs/sqlite_open.ts";
import type { Quota, QuotaStore } from "./quota_types.ts";

interface Row {
  tenant: string;
  invocations_per_day: number | null;
  cpu_ms_per_day: number | null;
  max_concurrent: number | null;
  warn_at: number;
  updated_at: number;
}

const quotaOf = (r: Row): Quota => ({
  tenant: r.tenant,
  invocationsPerDay: r.invocations_per_day,
  cpuMsPerDay: r.cpu_ms_per_day,
  maxConcurrent: r.max_concurrent,
  warnAt: r.warn_at,
  updatedAt: r.updated_at,
});

/** Quota limits on one machine. */
export class SqliteQuotaStore implements QuotaStore {
  #db: DatabaseSync;

  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS quotas (
        tenant TEXT PRIMARY KEY,
        invocations_per_day INTEGER,
        cpu_ms_per_day INTEGER,
        max_concurrent INTEGER,
        warn_at REAL NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  }

  listQuotas(): Promise<Quota[]> {
    const rows = this.#db.prepare("SELECT * FROM quotas ORDER BY tenant").all();
    return Promise.resolve((rows as unknown as Row[]).map(quotaOf));
  }

  getQuota(tenant: string): Promise<Quota | undefined> {
    const row = this.#db.prepare("SELECT * FROM quotas WHERE tenant = ?").get(tenant);
    return Promise.resolve(row ? quotaOf(row as unknown as Row) : undefined);
  }

  putQuota(q: Quota): Promise<void> {
    this.#db.prepare(
      `INSERT OR REPLACE INTO quotas (tenant, invocations_per_day, cpu_ms_per_day, max_concurrent,
        warn_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(q.tenant, q.invocationsPerDay, q.cpuMsPerDay, q.maxConcurrent, q.warnAt, q.updatedAt);
    return Promise.resolve();
  }

  deleteQuota(tenant: string): Promise<Quota | undefined> {
    const row = this.#db.prepare("DELETE FROM quotas WHERE tenant = ? RETURNING *").get(tenant);
    return Promise.resolve(row ? quotaOf(row as unknown as Row) : undefined);
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
