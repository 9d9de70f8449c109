/**
 * The `jobs` table of the SQLite job store (`sqlite_store.ts`): made when
 * missing, and brought up to date when an older version wrote it.
 */
import type { DatabaseSync } from "node:sqlite";

/** Makes (or upgrades) the table and its indexes. */
export function prepareJobsTable(db: DatabaseSync): void {
  db.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA busy_timeout = 5000;
    PRAGMA synchronous = NORMAL;
    CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      priority INTEGER NOT NULL,
      run TEXT NOT NULL,
      idempotency_key TEXT,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER,
      result TEXT,
      error TEXT,
      result_bytes INTEGER NOT NULL DEFAULT 0,
      result_note TEXT
    );
  `);
  upgrade(db);
  db.exec(`
    CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (status, priority, created_at);
    CREATE INDEX IF NOT EXISTS jobs_owner_queue ON jobs (status, owner, priority, created_at);
    CREATE INDEX IF NOT EXISTS jobs_owner_list ON jobs (owner, status, created_at, id);
    CREATE INDEX IF NOT EXISTS jobs_owner_bytes ON jobs (owner, result_bytes);
    CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (owner, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS jobs_dead ON jobs (dead_at) WHERE dead_at IS NOT NULL;
  `);
}

/** Columns added since the first version, each with what it is for rows written before. */
function upgrade(db: DatabaseSync): void {
  const columns = new Set(
    (db.prepare("PRAGMA table_info(jobs)").all() as unknown as { name: string }[])
      .map((c) => c.name),
  );
  if (!columns.has("result_bytes")) {
    db.exec(`
      ALTER TABLE jobs ADD COLUMN result_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE jobs SET result_bytes = length(CAST(result AS BLOB)) WHERE result IS NOT NULL;
    `);
  }
  if (!columns.has("result_note")) db.exec("ALTER TABLE jobs ADD COLUMN result_note TEXT");
  if (!columns.has("history")) {
    db.exec("ALTER TABLE jobs ADD COLUMN history TEXT NOT NULL DEFAULT '[]'");
  }
  if (!columns.has("retry_base")) {
    db.exec("ALTER TABLE jobs ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0");
  }
  if (!columns.has("dead_at")) {
    // Jobs that died before dead letters were kept apart become pending ones.
    db.exec(`
      ALTER TABLE jobs ADD COLUMN dead_at INTEGER;
      ALTER TABLE jobs ADD COLUMN dlq TEXT;
      UPDATE jobs SET dead_at = finished_at WHERE status = 'dead';
    `);
  }
}
