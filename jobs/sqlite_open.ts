/**
 * Opens the service's SQLite database (`FAAS_JOB_STORE`): its folder made,
 * write-ahead logging so readers never wait for a writer, and a busy wait
 * rather than an error while another connection writes. The job store and
 * the admin stores each open their own connection to the same file.
 */
import { DatabaseSync } from "node:sqlite";
import { dirname } from "node:path";

/** A connection to the database at `path` (":memory:" for one of its own). */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
  return db;
}
