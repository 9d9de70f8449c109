/**
 * Usage in SQLite (`node:sqlite`), in the same database file as the jobs:
 * one row per tenant, key and UTC hour, added to in batches.
 */
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../jobs/sqlite_open.ts";
import type { KeptStats } from "../jobs/types.ts";
import {
  DAY_MS,
  hourOf,
  type UsageCounters,
  type UsageQuery,
  type UsageRow,
  type UsageStore,
} from "./usage_types.ts";

interface Row {
  tenant: string;
  key_id: string;
  hour: number;
  invocations: number;
  errors: number;
  timeouts: number;
  memory_kills: number;
  cpu_ms: number;
  wall_ms: number;
  peak_memory_bytes: number;
}

const countersOf = (r: Omit<Row, "tenant" | "key_id" | "hour">): UsageCounters => ({
  invocations: Number(r.invocations ?? 0),
  errors: Number(r.errors ?? 0),
  timeouts: Number(r.timeouts ?? 0),
  memoryKills: Number(r.memory_kills ?? 0),
  cpuMs: Number(r.cpu_ms ?? 0),
  wallMs: Number(r.wall_ms ?? 0),
  peakMemoryBytes: Number(r.peak_memory_bytes ?? 0),
});

/** Usage on one machine. */
/** What one row takes on disk, roughly. */
const ROW_BYTES = 120;

export class SqliteUsageStore implements UsageStore {
  #db: DatabaseSync;

  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS usage_hours (
        tenant TEXT NOT NULL,
        hour INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        invocations INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        timeouts INTEGER NOT NULL,
        memory_kills INTEGER NOT NULL,
        cpu_ms REAL NOT NULL,
        wall_ms REAL NOT NULL,
        peak_memory_bytes INTEGER NOT NULL,
        PRIMARY KEY (tenant, hour, key_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS usage_hours_by_hour ON usage_hours (hour);
    `);
  }

  addUsage(rows: UsageRow[]): Promise<void> {
    if (!rows.length) return Promise.resolve();
    const upsert = this.#db.prepare(`
      INSERT INTO usage_hours (tenant, hour, key_id, invocations, errors, timeouts, memory_kills,
        cpu_ms, wall_ms, peak_memory_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant, hour, key_id) DO UPDATE SET
        invocations = invocations + excluded.invocations,
        errors = errors + excluded.errors,
        timeouts = timeouts + excluded.timeouts,
        memory_kills = memory_kills + excluded.memory_kills,
        cpu_ms = cpu_ms + excluded.cpu_ms,
        wall_ms = wall_ms + excluded.wall_ms,
        peak_memory_bytes = MAX(peak_memory_bytes, excluded.peak_memory_bytes)`);
    this.#db.exec("BEGIN");
    try {
      for (const r of rows) {
        upsert.run(
          r.tenant,
          r.hour,
          r.keyId,
          r.invocations,
          r.errors,
          r.timeouts,
          r.memoryKills,
          r.cpuMs,
          r.wallMs,
          r.peakMemoryBytes,
        );
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
    return Promise.resolve();
  }

  usage(q: UsageQuery): Promise<UsageRow[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.tenant !== undefined) (where.push("tenant = ?"), args.push(q.tenant));
    if (q.from !== undefined) (where.push("hour >= ?"), args.push(hourOf(q.from)));
    if (q.to !== undefined) (where.push("hour <= ?"), args.push(q.to));
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const rows = this.#db.prepare(`SELECT * FROM usage_hours ${clause}`)
      .all(...args) as unknown as Row[];
    return Promise.resolve(
      rows.map((r) => ({ tenant: r.tenant, keyId: r.key_id, hour: r.hour, ...countersOf(r) })),
    );
  }

  dayTotals(tenant: string, day: number): Promise<UsageCounters> {
    const row = this.#db.prepare(`
      SELECT SUM(invocations) AS invocations, SUM(errors) AS errors, SUM(timeouts) AS timeouts,
        SUM(memory_kills) AS memory_kills, SUM(cpu_ms) AS cpu_ms, SUM(wall_ms) AS wall_ms,
        MAX(peak_memory_bytes) AS peak_memory_bytes
      FROM usage_hours WHERE tenant = ? AND hour >= ? AND hour < ?`)
      .get(tenant, day, day + DAY_MS) as unknown as Row;
    return Promise.resolve(countersOf(row));
  }

  keptStats(): Promise<KeptStats> {
    const r = this.#db.prepare("SELECT COUNT(*) AS n, MIN(hour) AS oldest FROM usage_hours")
      .get() as { n: number; oldest: number | null };
    return Promise.resolve({
      count: r.n,
      ...(r.oldest !== null && { oldest: r.oldest }),
      // A row's key, tenant and nine numbers, roughly.
      bytes: r.n * ROW_BYTES,
    });
  }

  deleteBefore(before: number): Promise<number> {
    const r = this.#db.prepare("DELETE FROM usage_hours WHERE hour < ?").run(hourOf(before));
    return Promise.resolve(Number(r.changes));
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
