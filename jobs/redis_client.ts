/** The Redis client the job store opens, and its type for the modules that share it. */
import { createClient } from "redis";

/**
 * A client of the Redis at `url`, not yet connected; errors surface from the
 * calls. With `failFast`, a call made while the connection is down fails at
 * once rather than waiting in a queue for it to come back.
 */
export function redisClient(url: string, { failFast = false } = {}) {
  const client = createClient({ url, disableOfflineQueue: failFast });
  client.on("error", () => {});
  return client;
}

/** What `redisClient` returns. */
export type RedisClient = ReturnType<typeof redisClient>;

/** How long a client may take to close gracefully before it is torn down, ms. */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes `client`: gracefully (its pending calls answered) when Redis is
 * there, at once otherwise. A graceful close waits for calls queued for a
 * reconnect, which never comes while Redis is down, and would hold up the
 * service's shutdown.
 */
export async function closeRedis(
  client: { close(): Promise<unknown>; destroy(): void },
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), CLOSE_GRACE_MS);
  });
  try {
    const how = await Promise.race([client.close().then(() => "closed" as const), late]);
    if (how === "late") client.destroy();
  } catch {
    // Closed already, or the connection failed: nothing is left to close.
  } finally {
    clearTimeout(timer);
  }
}
