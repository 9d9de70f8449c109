/** The service as a child process (`deno run main.ts`), for tests that signal or kill it. */
import { freePort } from "./ports.ts";

const root = new URL("../..", import.meta.url).pathname;

/** A service running in a child process. */
export interface ServiceProcess {
  url: string;
  port: number;
  child: Deno.ChildProcess;
  /** What the service printed so far (stdout and stderr), when asked to keep it. */
  logs(): string;
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
  { keepLogs = false }: { keepLogs?: boolean } = {},
): Promise<ServiceProcess> {
  const output = keepLogs ? "piped" : "null";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--cached-only", "-A", "main.ts"],
    cwd: root,
    env: { FAAS_HOST: "127.0.0.1", FAAS_PORT: String(port), ...env },
    stdout: output,
    stderr: output,
  }).spawn();
  let text = "";
  const collected = keepLogs
    ? Promise.all([child.stdout, child.stderr].map(async (stream) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
    }))
    : Promise.resolve();
  const logs = () => text;
  const url = `http://127.0.0.1:${port}`;
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
    await child.status;
    await collected;
  };
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${url}/health`).then((r) => r.body?.cancel().then(() => r.ok))
      .catch(() => false);
    if (ok) return { url, port, child, logs, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop("SIGKILL");
  throw new Error("the service did not become healthy within 30 s");
}
