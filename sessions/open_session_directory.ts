/** Opens the session directory where `FAAS_JOB_STORE` keeps the jobs: Redis, or none. */
import { LocalSessionDirectory, type SessionDirectory } from "./session_directory.ts";
import { RedisSessionDirectory } from "./redis_session_directory.ts";

/**
 * Shared through Redis for `redis://…` (or `rediss://…`); for a SQLite path
 * there is one replica and nothing to share. `heartbeatMs` is how long a
 * replica that stopped beating still counts as alive.
 */
export function openSessionDirectory(location: string, heartbeatMs: number): SessionDirectory {
  return /^rediss?:\/\//.test(location)
    ? new RedisSessionDirectory(location, heartbeatMs)
    : new LocalSessionDirectory();
}
