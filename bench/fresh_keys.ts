/**
 * What a new isolation key costs, measured at the client: a run of new code
 * when a spare is ready next to a run of a key already warm, a runaway run's
 * answer against its timeout, and the memory a warm instance holds.
 */
import { type LoadResult } from "./wrk.ts";
import { summarize } from "./fetch_load.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function health(url: string) {
  return await (await fetch(`${url}/health`)).json();
}

/** Waits until no instance of `runtime` is starting and at least one spare is ready. */
export async function sparesSettled(url: string, runtime: string, limitMs = 10_000) {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    const instances = (await health(url)).pools[runtime].instances;
    if (instances.starting === 0 && instances.spare > 0) return;
    await sleep(20);
  }
}

/** One POST of `body`; its time at the client, ms, and whether the run succeeded. */
async function timed(url: string, body: string): Promise<[number, boolean]> {
  const t = performance.now();
  const res = await fetch(`${url}/run_code`, { method: "POST", body });
  const json = await res.json();
  return [performance.now() - t, json.metadata?.status === "success"];
}

/**
 * `count` runs one at a time: of new code each, each once the pool has a
 * spare ready again (`fresh`), or of one snippet after a first run (warm).
 */
export async function oneAtATime(
  url: string,
  language: string,
  count: number,
  fresh: boolean,
): Promise<LoadResult> {
  const runtime = language === "python" ? "python" : "javascript";
  const tag = `${Date.now()}`;
  const code = (n: number) =>
    language === "python" ? `# ${tag} ${n}\nprint(1)` : `// ${tag} ${n}\nconsole.log(1)`;
  if (!fresh) await timed(url, JSON.stringify({ language, code: code(-1) }));
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    if (fresh) await sparesSettled(url, runtime);
    const [ms, ok] = await timed(url, JSON.stringify({ language, code: code(fresh ? n : -1) }));
    latencies.push(ms);
    if (!ok) errors++;
  }
  return summarize(latencies, errors, (performance.now() - started) / 1000);
}

/** Runaway programs answered with timeout: each asks for `timeout: 1000`. */
export const RUNAWAYS: [string, string, string][] = [
  ["python busy loop", "python", "while True:\n    pass"],
  [
    "python loop that swallows the interrupt",
    "python",
    "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass",
  ],
  ["js busy loop", "javascript", "while (true) {}"],
];

/** Ms from sending a runaway run with `timeout: 1000` until its answer. */
export async function timeoutAnswer(url: string, language: string, code: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/run_code`, {
    method: "POST",
    body: JSON.stringify({ language, code, timeout: 1000 }),
  });
  const json = await res.json();
  const ms = performance.now() - t;
  if (json.metadata?.status !== "timeout") {
    throw new Error(`runaway ${language} run ended as ${json.metadata?.status}`);
  }
  return ms;
}

/**
 * Resident memory each warm Python instance adds: the Python hosts' RSS
 * (read through `hostRssMb`, by process id) before and after `tenants`
 * tenants ran once each, one at a time (`bodyFor(i)` names tenant `i`),
 * divided by the instances they left warm. Needs FAAS_ISOLATION=tenant.
 * A host that started or stopped in between would count a whole process
 * as instance memory, so such a round is measured again (up to three
 * times; `hostsChanged` tells when none was clean).
 */
export async function rssPerWarmInstance(
  url: string,
  tenants: number,
  bodyFor: (tenant: number) => string,
  hostRssMb: () => Map<number, number>,
): Promise<{ mb: number; instances: number; hostsChanged: boolean }> {
  let round = 0;
  for (;;) {
    await sparesSettled(url, "python");
    const keyedBefore = (await health(url)).pools.python.instances.keyed;
    const before = hostRssMb();
    // One at a time: the pool has an idle host for each, so none starts.
    for (let i = 0; i < tenants; i++) await timed(url, bodyFor(round * tenants + i));
    await sparesSettled(url, "python", 30_000);
    // Freed buffers go back to the OS within a moment.
    await sleep(1500);
    const instances = (await health(url)).pools.python.instances.keyed - keyedBefore;
    const after = hostRssMb();
    const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const same = before.size === after.size && [...before.keys()].every((pid) => after.has(pid));
    const mb = (sum(after) - sum(before)) / Math.max(1, instances);
    if (same || ++round === 3) return { mb, instances, hostsChanged: !same };
  }
}
