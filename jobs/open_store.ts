/** Opens the job store `FAAS_JOB_STORE` names: a SQLite file, or a Redis URL. */
import { SqliteJobStore } from "./sqlite_store.ts";
import type { JobStore } from "./types.ts";
import { RedisJobStore } from "./redis_store.ts";

/** `redis://…` (or `rediss://…`) for a store shared by replicas; anything else is a SQLite path. */
export function openJobStore(location: string): JobStore {
  return /^rediss?:\/\//.test(location)
    ? new RedisJobStore(location)
    : new SqliteJobStore(location);
}
