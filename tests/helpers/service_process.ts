/** The service as a child process (`deno run main.ts`), for tests that signal or kill it. */
import { freePort } from "./ports.ts";

const root = new URL("../..", import.meta.url).pathname;

/** A service running in a child process. */
export interface ServiceProcess {
  url: string;
  port: number;
  child: Deno.ChildProcess;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/**
 * Starts the service on 127.0.0.1 (on `port`, or a free one) with `env` and
 * waits until `/health` answers 200.
 */
export async function startServiceProcess(
  env: Record<string, string>,
  port = freePort(),
): Promise<ServiceProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--cached-only", "-A", "main.ts"],
    cwd: root,
    env: { FAAS_HOST: "127.0.0.1", FAAS_PORT: String(port), ...env },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
    await child.status;
  };
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${url}/health`).then((r) => r.body?.cancel().then(() => r.ok))
      .catch(() => false);
    if (ok) return { url, port, child, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop("SIGKILL");
  throw new Error("the service did not become healthy within 30 s");
}
