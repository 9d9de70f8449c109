/**
 * Keys, the audit log and the settings changed while running in SQLite
 * (`node:sqlite`), in the same database file as the jobs, so they survive a
 * restart the same way.
 */
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "../jobs/sqlite_open.ts";
import type { AdminStore, AuditEntry, AuditQuery, KeyRecord, Role } from "./types.ts";

interface KeyRow {
  id: string;
  tenant: string;
  role: string;
  name: string;
  created_at: number;
  hash: string;
}

interface AuditRow {
  id: string;
  at: number;
  actor: string;
  role: string;
  action: string;
  target: string;
  outcome: string;
  before: string | null;
  after: string | null;
  request_id: string;
  reason: string | null;
}

const keyOf = (r: KeyRow): KeyRecord => ({
  id: r.id,
  tenant: r.tenant,
  role: r.role as Role,
  name: r.name,
  createdAt: r.created_at,
  hash: r.hash,
});

const auditOf = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  role: r.role,
  action: r.action,
  target: r.target,
  outcome: r.outcome as AuditEntry["outcome"],
  ...(r.before !== null && { before: JSON.parse(r.before) }),
  ...(r.after !== null && { after: JSON.parse(r.after) }),
  requestId: r.request_id,
  ...(r.reason !== null && { reason: r.reason }),
});

/** The admin store on one machine. */
export class SqliteAdminStore implements AdminStore {
  #db: DatabaseSync;

  constructor(path: string) {
    this.#db = openDatabase(path);
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS api_keys (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        role TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        hash TEXT NOT NULL UNIQUE
      );
      CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        outcome TEXT NOT NULL,
        before TEXT,
        after TEXT,
        request_id TEXT NOT NULL,
        reason TEXT
      );
      CREATE INDEX IF NOT EXISTS audit_at ON audit_log (at);
      CREATE INDEX IF NOT EXISTS audit_action ON audit_log (action, at);
      CREATE TABLE IF NOT EXISTS runtime_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
  }

  createKey(key: KeyRecord): Promise<void> {
    this.#db.prepare(
      "INSERT INTO api_keys (id, tenant, role, name, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(key.id, key.tenant, key.role, key.name, key.createdAt, key.hash);
    return Promise.resolve();
  }

  listKeys(): Promise<KeyRecord[]> {
    const rows = this.#db.prepare("SELECT * FROM api_keys ORDER BY created_at, id").all();
    return Promise.resolve((rows as unknown as KeyRow[]).map(keyOf));
  }

  getKey(id: string): Promise<KeyRecord | undefined> {
    const row = this.#db.prepare("SELECT * FROM api_keys WHERE id = ?").get(id);
    return Promise.resolve(row ? keyOf(row as unknown as KeyRow) : undefined);
  }

  keyByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = this.#db.prepare("SELECT * FROM api_keys WHERE hash = ?").get(hash);
    return Promise.resolve(row ? keyOf(row as unknown as KeyRow) : undefined);
  }

  deleteKey(id: string): Promise<KeyRecord | undefined> {
    const row = this.#db.prepare("DELETE FROM api_keys WHERE id = ? RETURNING *").get(id);
    return Promise.resolve(row ? keyOf(row as unknown as KeyRow) : undefined);
  }

  appendAudit(entries: AuditEntry[]): Promise<void> {
    const insert = this.#db.prepare(
      `INSERT INTO audit_log (id, at, actor, role, action, target, outcome, before, after,
        request_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.exec("BEGIN");
    try {
      for (const e of entries) {
        insert.run(
          e.id,
          e.at,
          e.actor,
          e.role,
          e.action,
          e.target,
          e.outcome,
          e.before === undefined ? null : JSON.stringify(e.before),
          e.after === undefined ? null : JSON.stringify(e.after),
          e.requestId,
          e.reason ?? null,
        );
      }
      this.#db.exec("COMMIT");
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
    return Promise.resolve();
  }

  queryAudit(q: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.action !== undefined) (where.push("action = ?"), args.push(q.action));
    if (q.actor !== undefined) (where.push("actor = ?"), args.push(q.actor));
    if (q.from !== undefined) (where.push("at >= ?"), args.push(q.from));
    if (q.to !== undefined) (where.push("at <= ?"), args.push(q.to));
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = (this.#db.prepare(`SELECT COUNT(*) AS n FROM audit_log ${clause}`)
      .get(...args) as { n: number }).n;
    const rows = this.#db.prepare(
      `SELECT * FROM audit_log ${clause} ORDER BY at DESC, seq DESC LIMIT ? OFFSET ?`,
    ).all(...args, q.limit, q.offset) as unknown as AuditRow[];
    return Promise.resolve({ entries: rows.map(auditOf), total });
  }

  auditActions(): Promise<string[]> {
    const rows = this.#db.prepare("SELECT DISTINCT action FROM audit_log ORDER BY action")
      .all() as { action: string }[];
    return Promise.resolve(rows.map((r) => r.action));
  }

  deleteAuditBefore(before: number): Promise<number> {
    const r = this.#db.prepare("DELETE FROM audit_log WHERE at < ?").run(before);
    return Promise.resolve(Number(r.changes));
  }

  auditStats(): Promise<{ count: number; oldest?: number; bytes: number }> {
    const row = this.#db.prepare(
      `SELECT COUNT(*) AS count, MIN(at) AS oldest, COALESCE(SUM(length(CAST(actor AS BLOB)) +
        length(CAST(action AS BLOB)) + length(CAST(target AS BLOB)) +
        COALESCE(length(CAST(before AS BLOB)), 0) + COALESCE(length(CAST(after AS BLOB)), 0) +
        COALESCE(length(CAST(reason AS BLOB)), 0) + 80), 0) AS bytes FROM audit_log`,
    ).get() as { count: number; oldest: number | null; bytes: number };
    return Promise.resolve({
      count: Number(row.count),
      ...(row.oldest !== null && { oldest: Number(row.oldest) }),
      bytes: Number(row.bytes),
    });
  }

  runtimeSettings(): Promise<Record<string, unknown>> {
    const rows = this.#db.prepare("SELECT key, value FROM runtime_settings").all() as {
      key: string;
      value: string;
    }[];
    return Promise.resolve(Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)])));
  }

  setRuntimeSetting(key: string, value: unknown, at: number): Promise<void> {
    this.#db.prepare(
      `INSERT INTO runtime_settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    ).run(key, JSON.stringify(value), at);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
