/**
 * The "distinct code every run, python" scenario of `deno task bench` on
 * its own, for longer: every run is new code, so (at the default
 * FAAS_ISOLATION=code) every run takes a fresh Python instance. Prints the
 * service's process-tree CPU per run and the client's latency, for a few
 * rounds, to compare builds on a busy machine.
 *
 *   deno run -A bench/fresh_service_cpu.ts [seconds per round] [rounds]
 */
import { TreeMonitor } from "../tests/helpers/proc_stats.ts";
import { SERVICE_FLAGS, startServer } from "./server_process.ts";
import { fetchLoad } from "./fetch_load.ts";

const seconds = Number(Deno.args[0] ?? 10);
const rounds = Number(Deno.args[1] ?? 3);
const snapshotDir = await Deno.makeTempDir({ prefix: "faas-fresh-bench-" });
const env = { FAAS_SNAPSHOT_DIR: snapshotDir, FAAS_JOB_STORE: `${snapshotDir}/jobs.sqlite` };
// The first start makes the snapshot; the measured one takes it from the cache.
await (await startServer("main.ts", SERVICE_FLAGS, env, "/health")).stop();
const server = await startServer("main.ts", SERVICE_FLAGS, env, "/health");
try {
  // Let the pool settle before measuring.
  await new Promise((r) => setTimeout(r, 3000));
  const tag = Date.now();
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    const monitor = new TreeMonitor(server.pid);
    const load = await fetchLoad(
      `${server.url}/run_code`,
      () => JSON.stringify({ language: "python", code: `# ${tag} ${n++}\nprint(1)` }),
      4,
      seconds,
    );
    const { cpuSeconds } = monitor.stop();
    const runs = Math.max(1, load.requests);
    console.log(
      `round ${round + 1}: ${load.requests} runs in ${seconds} s, ` +
        `${(cpuSeconds * 1000 / runs).toFixed(1)} ms CPU per run, p50 ${load.p50Ms} ms, ` +
        `${load.errors} errors`,
    );
  }
} finally {
  await server.stop();
  await Deno.remove(snapshotDir, { recursive: true });
}
