/**
 * Starts a real service on 127.0.0.1 for tests: in-process (real hosts,
 * real workers, real Pyodide) or as a child process for signal tests.
 */
import { preparePythonPackages } from "../../python/python_packages.ts";
import { resolvePyodideDir } from "../../protocol/pyodide_files.ts";
import { type Config, loadConfig } from "../../config/config.ts";
import { createService, type Service } from "../../service/service.ts";

/** A service listening on a loopback port. */
export interface TestServer {
  url: string;
  service: Service;
  config: Config;
  /** POSTs a JSON body to /run_code and returns status and parsed body. */
  run(body: unknown, init?: RequestInit): Promise<{ status: number; body: RunBody }>;
  close(): Promise<void>;
}

/** The `/run_code` response, loosely typed for assertions. */
export interface RunBody {
  output: { stdout: string; stderr: string; ret_val: string };
  metadata: Record<string, unknown> & { status: string; exit_code: number; truncated: boolean };
  error?: string;
  details?: { field: string; message: string }[];
}

/** Starts a service with `env` over the defaults and waits until it is warm. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const config = loadConfig({
    FAAS_HOST: "127.0.0.1",
    FAAS_PORT: "0",
    FAAS_LOG_LEVEL: "warn",
    // Each test service keeps its jobs to itself.
    FAAS_JOB_STORE: ":memory:",
    ...env,
  });
  const packages = await preparePythonPackages({
    dir: config.pythonPackagesDir,
    names: config.pythonPackages,
    preload: config.pythonPreload,
    pyodideDir: resolvePyodideDir(config.pyodideDir),
  });
  const service = createService(config, undefined, packages);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    service.app.fetch,
  );
  await service.ready();
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    service,
    config,
    async run(body, init) {
      const res = await fetch(`${url}/run_code`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: typeof body === "string" ? body : JSON.stringify(body),
        ...init,
      });
      return { status: res.status, body: await res.json() };
    },
    async close() {
      await service.shutdown(0);
      await server.shutdown();
    },
  };
}

/**
 * CPU seconds used so far by the processes whose command line contains
 * `pattern`, from /proc (clock ticks, so a 10 ms resolution).
 */
export async function cpuSecondsOf(pattern: string): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,args="] }).output();
  let ticks = 0;
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line.includes(pattern) || line.includes("ps -eo")) continue;
    const pid = line.trim().split(/\s+/)[0];
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended in between.
    }
  }
  return ticks / 100;
}
