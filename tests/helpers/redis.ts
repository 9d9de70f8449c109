/** A throwaway `redis-server` on loopback, for tests and the benchmark. */
import { freePort } from "./ports.ts";

/** A running `redis-server` child. */
export interface RedisProcess {
  /** `redis://127.0.0.1:<port>/0`, the form `FAAS_JOB_STORE` takes. */
  url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` without persistence and waits until it accepts connections. */
export async function startRedis(): Promise<RedisProcess> {
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0;; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch (err) {
      if (i >= 100) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`redis-server did not listen on port ${port}: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
