/**
 * Output of running jobs in Redis (the job store's `OutputLog`): each job's
 * output is a Redis stream, so a watcher on any replica reads what was
 * written and what follows from one cursor.
 */
import type { RedisClient } from "./redis_client.ts";
import type { OutputChunk, OutputLog } from "./types.ts";
import { P } from "./redis_scripts.ts";

/** How long a job's output stream outlives its last chunk, seconds. */
const OUTPUT_TTL_S = 3600;
/** How long it is kept once the attempt ended, seconds. */
const CLOSED_OUTPUT_TTL_S = 60;

/** The output log over `client`, used once `ready()` resolves. */
export function redisOutputLog(
  client: RedisClient,
  ready: () => Promise<unknown>,
): OutputLog {
  const key = (id: string) => `${P}out:${id}`;
  return {
    async reset(id: string): Promise<void> {
      await ready();
      await client.del(key(id));
    },
    async append(id: string, by: string, chunk: OutputChunk): Promise<void> {
      await ready();
      await client.multi()
        .xAdd(key(id), "*", { by, fd: String(chunk.fd), text: chunk.text })
        .expire(key(id), OUTPUT_TTL_S)
        .exec();
    },
    async close(id: string): Promise<void> {
      await ready();
      // The job's result holds the output; watchers read the rest within seconds.
      await client.expire(key(id), CLOSED_OUTPUT_TTL_S);
    },
    async read(id: string, cursor: string) {
      await ready();
      const entries = (await client.xRange(key(id), cursor === "0" ? "-" : `(${cursor}`, "+")) ??
        [];
      return {
        chunks: entries.filter((e) => e !== null).map((e) => ({
          by: String(e.message.by),
          fd: e.message.fd === "2" ? 2 as const : 1 as const,
          text: String(e.message.text),
        })),
        cursor: entries.at(-1)?.id ?? cursor,
      };
    },
  };
}
