/**
 * A soak with hostile neighbours: closed loops where one run in five is
 * hostile (a busy loop that must be stopped at its 1 s timeout, in Python
 * or JS) and the rest are innocent runs of new code every time, half
 * Python, half JS. What counts is the innocent runs' latency at the client.
 */
import { summarize } from "./fetch_load.ts";
import type { LoadResult } from "./wrk.ts";

const HOSTILE = [
  { language: "python", code: "while True:\n    pass", timeout: 1000 },
  { language: "javascript", code: "while (true) {}", timeout: 1000 },
];

/** Runs the soak for `seconds` over `connections` loops; the innocent runs' figures. */
export async function hostileSoak(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult & { note: string }> {
  const tag = `${Date.now()}`;
  const innocent: number[] = [];
  let errors = 0;
  let hostile = 0;
  let hostileWrong = 0;
  let n = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const i = n++;
      if (i % 5 === 4) {
        const body = HOSTILE[(i / 5 | 0) % HOSTILE.length];
        const res = await fetch(`${url}/run_code`, { method: "POST", body: JSON.stringify(body) });
        const json = await res.json();
        hostile++;
        if (json.metadata?.status !== "timeout") hostileWrong++;
        continue;
      }
      const body = i % 2
        ? { language: "python", code: `# ${tag} ${i}\nprint(sum(range(${i % 100})))` }
        : { language: "javascript", code: `// ${tag} ${i}\nconsole.log(${i % 100} * 2)` };
      const t = performance.now();
      try {
        const res = await fetch(`${url}/run_code`, { method: "POST", body: JSON.stringify(body) });
        const json = await res.json();
        if (json.metadata?.status !== "success") errors++;
      } catch {
        errors++;
      }
      innocent.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const result = summarize(innocent, errors, (performance.now() - started) / 1000);
  return {
    ...result,
    note: `${hostile} hostile runs, ${hostileWrong} not ended as timeout`,
  };
}
