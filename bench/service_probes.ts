/** Reads a running service from outside: its hosts' memory, and how fast it replaces one. */
import { processTree } from "../tests/helpers/proc_stats.ts";
import type { ServerProcess } from "./server_process.ts";

async function health(url: string) {
  return await (await fetch(`${url}/health`)).json();
}

/** The service's host processes with their runtime and RSS. */
export function hosts(root: number): { pid: number; runtime: string; rssMb: number }[] {
  const out = [];
  for (const [pid, s] of processTree(root)) {
    let cmd = "";
    try {
      cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ");
    } catch {
      continue;
    }
    if (!cmd.includes("host_main.ts")) continue;
    // Host arguments: ... socket, token, runtime, memory MiB, Pyodide dir[, snapshot].
    const runtime = cmd.split(" ").reverse().find((a) => a === "python" || a === "javascript");
    out.push({ pid, runtime: runtime ?? "?", rssMb: s.rssBytes / 2 ** 20 });
  }
  return out;
}

/** Mean RSS of the idle hosts of `runtime`, once their spares are ready. */
export async function idleRssMb(server: ServerProcess, runtime: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    if ((await health(server.url)).pools[runtime].instances.starting === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const mine = hosts(server.pid).filter((h) => h.runtime === runtime);
  return mine.reduce((a, h) => a + h.rssMb, 0) / mine.length;
}

/** Kills one host of `runtime`; ms until the pool is back to its warm size. */
export async function replacement(server: ServerProcess, runtime: string): Promise<number> {
  const victim = hosts(server.pid).find((h) => h.runtime === runtime);
  if (!victim) throw new Error(`no ${runtime} host to kill`);
  const before = (await health(server.url)).pools[runtime];
  const up = Math.min(before.idle + before.busy, before.warm_target);
  const started = performance.now();
  Deno.kill(victim.pid, "SIGKILL");
  // First until the service has noticed the loss, then until it is back:
  // checking only the second could end before the first.
  let noticed = false;
  while (performance.now() - started < 60_000) {
    const pool = (await health(server.url)).pools[runtime];
    if (pool.total < before.total || pool.starting > 0) noticed = true;
    if (noticed && pool.starting === 0 && pool.idle + pool.busy >= up) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!noticed) throw new Error(`the loss of a ${runtime} host was never reported`);
  return performance.now() - started;
}
