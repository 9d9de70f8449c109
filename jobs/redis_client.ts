/** The Redis client the job store opens, and its type for the modules that share it. */
import { createClient } from "redis";

/** A client of the Redis at `url`, not yet connected; errors surface from the calls. */
export function redisClient(url: string) {
  const client = createClient({ url });
  client.on("error", () => {});
  return client;
}

/** What `redisClient` returns. */
export type RedisClient = ReturnType<typeof redisClient>;
