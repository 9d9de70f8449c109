/** Starts an HTTP server as a child process and waits until it answers. */

const root = new URL("..", import.meta.url).pathname;

/** A server started for the benchmark. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn until `readyPath` answered 200. */
  startMs: number;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** The flags `deno task start` runs the service with. */
export const SERVICE_FLAGS = [
  "--no-prompt",
  "--cached-only",
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-sys",
];

/** Spawns `deno run <flags> <entry>` with `env`, waiting for `readyPath`. */
export async function startServer(
  entry: string,
  flags: string[],
  env: Record<string, string>,
  readyPath: string,
): Promise<ServerProcess> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, entry],
    cwd: root,
    env: { ...env, FAAS_HOST: "127.0.0.1", FAAS_PORT: String(port), BENCH_PORT: String(port) },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const deadline = started + 120_000;
  while (performance.now() < deadline) {
    const ok = await fetch(url + readyPath)
      .then(async (r) => (await r.body?.cancel(), r.ok))
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const startMs = performance.now() - started;
  if (startMs > 120_000) throw new Error(`${entry} did not become ready`);
  return {
    url,
    pid: child.pid,
    startMs,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}
