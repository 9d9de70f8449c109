/** Opens the admin store where `FAAS_JOB_STORE` keeps the jobs: a SQLite file, or a Redis URL. */
import { RedisAdminStore } from "./redis_admin_store.ts";
import { SqliteAdminStore } from "./sqlite_admin_store.ts";
import type { AdminStore } from "./types.ts";

/** `redis://…` (or `rediss://…`) for a store shared by replicas; anything else is a SQLite path. */
export function openAdminStore(location: string): AdminStore {
  return /^rediss?:\/\//.test(location)
    ? new RedisAdminStore(location)
    : new SqliteAdminStore(location);
}
