/**
 * `deno task bench`: starts the service as a user would, drives it with wrk
 * on loopback, measures two naive baselines in the same run, and writes
 * bench/results/latest.{md,json}. `--quick` runs every scenario for about a
 * second (the CI smoke run; it asserts nothing about timings).
 */
import { TreeMonitor } from "../tests/helpers/proc_stats.ts";
import { hosts, idleRssMb, replacement } from "./service_probes.ts";
import { type ServerProcess, SERVICE_FLAGS, startServer } from "./server_process.ts";
import { ensureWrk, type LoadResult, runWrk } from "./wrk.ts";
import { EVALUATOR, evaluatorInput, evaluatorItem, FIB } from "./scenarios.ts";
import { burst, fetchLoad } from "./fetch_load.ts";
import { startRedis } from "../tests/helpers/redis.ts";
import { jobLatency, jobsThroughput } from "./jobs_load.ts";
import { packageScenarios } from "./packages_load.ts";
import { priorityUnderOverload } from "./priority_load.ts";
import { hostileSoak } from "./soak.ts";
import { consoleLoad } from "./console_load.ts";
import { oneAtATime, rssPerWarmInstance, RUNAWAYS, timeoutAnswer } from "./fresh_keys.ts";

const quick = Deno.args.includes("--quick");
const SECONDS = quick ? 1 : 5;

interface Row extends Partial<LoadResult> {
  scenario: string;
  connections?: number;
  cpuSeconds?: number;
  cpuPerWall?: number;
  peakRssMb?: number;
  baselineRatio?: number;
  note?: string;
}

const rows: Row[] = [];
const body = (language: string, code: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ language, code, ...extra });

async function measure(
  server: ServerProcess,
  scenario: string,
  payload: string,
  connections: number,
): Promise<Row> {
  // Steady state is what is measured: a second of the same load first lets
  // V8 tier up the code this scenario runs (wasm included).
  if (!quick) await runWrk(`${server.url}/run_code`, payload, connections, 1);
  return await monitored(
    server,
    scenario,
    connections,
    () => runWrk(`${server.url}/run_code`, payload, connections, SECONDS),
  );
}

/** Like `measure`, for loads whose body changes per request; notes CPU per run. */
async function measureVarying(
  server: ServerProcess,
  scenario: string,
  makeBody: (n: number) => string,
  connections: number,
): Promise<Row> {
  const row = await monitored(
    server,
    scenario,
    connections,
    () => fetchLoad(`${server.url}/run_code`, makeBody, connections, SECONDS),
  );
  row.note = `${(row.cpuSeconds! * 1000 / Math.max(1, row.requests!)).toFixed(1)} ms CPU per run`;
  return row;
}

/** Runs `load` while watching the service's process tree; records the row. */
async function monitored(
  server: ServerProcess,
  scenario: string,
  connections: number,
  load: () => Promise<LoadResult>,
): Promise<Row> {
  const monitor = new TreeMonitor(server.pid);
  const result = await load();
  const { cpuSeconds, peakRssBytes } = monitor.stop();
  const row: Row = {
    scenario,
    connections,
    ...result,
    cpuSeconds,
    cpuPerWall: cpuSeconds / result.seconds,
    peakRssMb: peakRssBytes / 2 ** 20,
  };
  rows.push(row);
  console.error(
    `${scenario} c=${connections}: ${result.rps.toFixed(1)} req/s, p50 ${result.p50Ms} ms`,
  );
  return row;
}

/** Jobs of one warm snippet: submitted and completed per second, and the round trip. */
async function jobs(server: ServerProcess, store: string): Promise<void> {
  const payload = body("python", "print(1)");
  const count = quick ? 20 : 2000;
  const load = await jobsThroughput(server.url, payload, count, 16);
  rows.push({
    scenario: `jobs submitted, ${store} (${count} python print(1))`,
    connections: 16,
    ...load.submit,
  });
  rows.push({
    scenario: `jobs completed, ${store} (first submission to last result)`,
    connections: 16,
    rps: load.completedPerSecond,
    errors: load.failed,
  });
  const { job, direct } = await jobLatency(server.url, payload, quick ? 5 : 200);
  rows.push({
    scenario: `job round trip (POST /jobs, then GET ?wait), ${store}`,
    connections: 1,
    ...job,
    note: `POST /run_code from the same client: p50 ${direct.p50Ms} ms, p99 ${direct.p99Ms} ms`,
  });
}

await ensureWrk();
const date = new Date().toISOString();

// The service: a first start makes the Python snapshot and caches it, as
// `deno task snapshot` does when an image is built; later starts reuse it.
const snapshotDir = await Deno.makeTempDir({ prefix: "faas-bench-snapshots-" });
// Default settings throughout: only where snapshots and jobs are kept is chosen.
const serviceEnv = { FAAS_SNAPSHOT_DIR: snapshotDir, FAAS_JOB_STORE: `${snapshotDir}/jobs.sqlite` };
const first = await startServer("main.ts", SERVICE_FLAGS, serviceEnv, "/health");
rows.push({
  scenario: "service start to ready, first start: makes the snapshot (ms)",
  p50Ms: first.startMs,
});
await first.stop();
const service = await startServer("main.ts", SERVICE_FLAGS, serviceEnv, "/health");
rows.push({ scenario: "service start to ready, snapshot cached (ms)", p50Ms: service.startMs });
for (const runtime of ["python", "javascript"]) {
  rows.push({
    scenario: `idle RSS per ${runtime} host, one spare instance (MB)`,
    peakRssMb: await idleRssMb(service, runtime),
  });
}

// A burst from idle: 32 runs of one snippet at once, at default settings.
await new Promise((r) => setTimeout(r, quick ? 100 : 2000));
for (const [language, code] of [["python", "print(1)"], ["javascript", "console.log(1)"]]) {
  const load = await burst(`${service.url}/run_code`, () => body(language, code), 32);
  rows.push({ scenario: `burst from idle, ${language} (32 at once)`, connections: 32, ...load });
}

// V8 optimises a new host's wasm and JS in the background during its first
// 10-30 s of load; the scenarios below measure the steady state after that
// (burst from idle, above, measures the cold side).
if (!quick) {
  for (const [language, code] of [["python", "print(1)"], ["javascript", "console.log(1)"]]) {
    await runWrk(`${service.url}/run_code`, body(language, code), 16, 15);
  }
}

// A new key when a spare is ready, next to a warm key, one run at a time.
for (const language of ["python", "javascript"]) {
  const count = quick ? 3 : 40;
  rows.push({
    scenario: `new key with a spare ready, ${language} (one at a time)`,
    connections: 1,
    ...(await oneAtATime(service.url, language, count, true)),
  });
  rows.push({
    scenario: `warm key, ${language} (one at a time)`,
    connections: 1,
    ...(await oneAtATime(service.url, language, count, false)),
  });
}
for (const [name, language, code] of RUNAWAYS) {
  rows.push({
    scenario: `${name} with timeout 1000: answered after (ms)`,
    p50Ms: await timeoutAnswer(service.url, language, code),
  });
}

// Same snippet, same key: warm instances.
const trivial: Record<string, [string, string]> = {
  "trivial python, same key": ["python", "print(1)"],
  "trivial js, same key": ["javascript", "console.log(1)"],
  "trivial ts, same key": ["typescript", "const x: number = 1;\nconsole.log(x);"],
};
const at16: Record<string, Row> = {};
for (const [name, [language, code]] of Object.entries(trivial)) {
  for (const c of [1, 16, 64]) {
    const row = await measure(service, name, body(language, code), c);
    if (c === 16) at16[name] = row;
  }
}
const input = evaluatorInput();
await measure(
  service,
  "evaluator python (5 KB input)",
  body("python", EVALUATOR.python, { input }),
  16,
);
await measure(
  service,
  "evaluator js (5 KB input)",
  body("javascript", EVALUATOR.javascript, { input }),
  16,
);
// A new key every run (FAAS_ISOLATION=code, unique snippets): fresh instances.
let unique = 0;
const tag = `${Date.now()}`;
await measureVarying(
  service,
  "distinct code every run, python",
  () => body("python", `# ${tag} ${unique++}\nprint(1)`),
  4,
);
await measureVarying(
  service,
  "distinct code every run, js",
  () => body("javascript", `// ${tag} ${unique++}\nconsole.log(1)`),
  4,
);
// An evaluator experiment: every item new code (its data baked in), as
// coze-loop sends it, with its workspace in ext.space_id. At the defaults
// every item is a new isolation key; the same workload with the workspace
// as tenant is measured on its own service below.
let item = 0;
const experiment = () =>
  body("python", evaluatorItem(item++), { priority: "normal", ext: { space_id: "7420" } });
await measureVarying(
  service,
  "evaluator experiment, python, items' data in the code (defaults)",
  experiment,
  4,
);
// 20 tenants round-robin, one evaluator snippet: 20 keys kept warm.
for (const language of ["python", "javascript"] as const) {
  await measureVarying(
    service,
    `tenant switch, 20 tenants round-robin, evaluator ${language}`,
    (n) => body(language, EVALUATOR[language], { input, tenant: `tenant-${n % 20}` }),
    4,
  );
}
await measure(service, "fib(27) python", body("python", FIB.python), 4);
await measure(service, "fib(27) js", body("javascript", FIB.javascript), 4);
rows.push({
  scenario: "urgent python under low-priority overload",
  connections: 1,
  ...(await priorityUnderOverload(service.url, body, SECONDS)),
});
await jobs(service, "embedded store");
rows.push({
  scenario: "innocent runs (new code each, python and js) beside hostile ones (1 in 5: " +
    `busy loops stopped at 1 s), ${quick ? 2 : 60} s soak`,
  connections: 4,
  ...(await hostileSoak(service.url, 4, quick ? 2 : 60)),
});
await service.stop();

// The same experiment with the workspace as the tenant: a workspace's items
// share warm instances (reset between runs), workspaces never share one.
const workspaceEnv = {
  ...serviceEnv,
  FAAS_ISOLATION: "tenant",
  FAAS_TENANT_FROM: "body:ext.space_id",
};
const byWorkspace = await startServer("main.ts", SERVICE_FLAGS, workspaceEnv, "/health");
if (!quick) await fetchLoad(`${byWorkspace.url}/run_code`, experiment, 4, 5);
await measureVarying(
  byWorkspace,
  "evaluator experiment, python, items' data in the code (FAAS_ISOLATION=tenant, FAAS_TENANT_FROM=body:ext.space_id)",
  experiment,
  4,
);
await byWorkspace.stop();
// Memory per warm instance, on a service of its own at its warm size: what
// earlier scenarios grew or left behind is not counted.
const byTenant = await startServer("main.ts", SERVICE_FLAGS, workspaceEnv, "/health");
{
  const tenants = quick ? 4 : 24;
  const pythonRss = () =>
    new Map(
      hosts(byTenant.pid).filter((h) => h.runtime === "python").map((h) => [h.pid, h.rssMb]),
    );
  const { mb, instances, hostsChanged } = await rssPerWarmInstance(
    byTenant.url,
    tenants,
    (i) => body("python", "print(1)", { ext: { space_id: `rss-${i}` } }),
    pythonRss,
  );
  rows.push({
    scenario: `RSS per warm python instance (${tenants} tenants one at a time, ${instances} ` +
      `instances kept, FAAS_ISOLATION=tenant)${
        hostsChanged ? " (hosts changed meanwhile)" : ""
      } (MB)`,
    peakRssMb: mb,
  });
}
await byTenant.stop();

// Replacing a killed host, on a fresh service at its warm size (a pool that
// grew under load would not need a new host at all).
// Its admin API on (FAAS_ADMIN_KEYS), for the console's load time.
const fresh = await startServer("main.ts", SERVICE_FLAGS, {
  ...serviceEnv,
  FAAS_ADMIN_KEYS: "bench-admin",
}, "/health");
for (const runtime of ["python", "javascript"]) {
  rows.push({
    scenario: `replacement of a killed ${runtime} host (ms)`,
    p50Ms: await replacement(fresh, runtime),
  });
}
const consoleTimes = await consoleLoad(fresh.url, "bench-admin", quick ? 3 : 50);
rows.push({
  scenario: "operator console: page, its files and its data, at the client (ms)",
  p50Ms: consoleTimes.p50Ms,
  p95Ms: consoleTimes.p95Ms,
  note: `${Math.round(consoleTimes.bytes / 1024)} KiB`,
});
await fresh.stop();

// Jobs in Redis, the store replicas share (one replica here).
const redis = await startRedis();
const onRedis = await startServer("main.ts", SERVICE_FLAGS, {
  ...serviceEnv,
  FAAS_JOB_STORE: redis.url,
}, "/health");
await jobs(onRedis, "Redis store");
await onRedis.stop();
await redis.stop();

// Python packages, pure and compiled: what they cost at start and per host.
rows.push(...await packageScenarios(serviceEnv, SERVICE_FLAGS));
await Deno.remove(snapshotDir, { recursive: true });

// The yardsticks.
const inline = await startServer("bench/baselines/pyodide_inline.ts", ["-A"], {}, "/");
const baseA = await measure(
  inline,
  "baseline (a): in-process Pyodide",
  body("python", "print(1)"),
  16,
);
await inline.stop();
const perProcess = await startServer("bench/baselines/process_per_request.ts", ["-A"], {}, "/");
const baseB = await measure(
  perProcess,
  "baseline (b): process per JS request",
  body("javascript", "console.log(1)"),
  16,
);
await perProcess.stop();
at16["trivial python, same key"].baselineRatio = at16["trivial python, same key"].rps! / baseA.rps!;
at16["trivial js, same key"].baselineRatio = at16["trivial js, same key"].rps! / baseB.rps!;

// Report.
const cpuModel = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
const memGb = Number(Deno.readTextFileSync("/proc/meminfo").match(/MemTotal:\s*(\d+)/)?.[1]) /
  2 ** 20;
const machine = `${navigator.hardwareConcurrency} cores (${cpuModel}), ${memGb.toFixed(0)} GiB, ` +
  `Deno ${Deno.version.deno}, ${
    quick ? "quick" : "full"
  } run of ${SECONDS} s per scenario, ${date}`;
const fmt = (n: number | undefined, digits = 1) => n === undefined ? "" : n.toFixed(digits);
const lines = [
  `Machine: ${machine}`,
  "",
  "| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | errors | CPU s | CPU/wall | peak RSS MB | vs baseline |",
  "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ...rows.map((r) =>
    `| ${r.scenario}${r.note ? ` (${r.note})` : ""} | ${r.connections ?? ""} | ${
      fmt(r.rps, 0)
    } | ` +
    `${fmt(r.p50Ms, 2)} | ${fmt(r.p95Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${r.errors ?? ""} | ` +
    `${fmt(r.cpuSeconds)} | ${fmt(r.cpuPerWall, 2)} | ${fmt(r.peakRssMb, 0)} | ` +
    `${r.baselineRatio ? `${r.baselineRatio.toFixed(1)}×` : ""} |`
  ),
];
const table = lines.join("\n") + "\n";
const dir = new URL("./results/", import.meta.url).pathname;
Deno.mkdirSync(dir, { recursive: true });
Deno.writeTextFileSync(`${dir}latest.md`, table);
Deno.writeTextFileSync(
  `${dir}latest.json`,
  JSON.stringify({ machine, date, quick, rows }, null, 2),
);
console.log(table);
