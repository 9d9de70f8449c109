/**
 * A closed-loop load driver for bodies that change per request (unique
 * snippets, rotating tenants), which wrk's fixed body cannot express. It
 * runs in the benchmark's own process, so its figures include fetch's cost.
 */
import type { LoadResult } from "./wrk.ts";

/** Runs `connections` loops for `seconds`, each POSTing `makeBody(n)`. */
export async function fetchLoad(
  url: string,
  makeBody: (n: number) => string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await fetch(url, { method: "POST", body: makeBody(n++) });
        const body = await res.json();
        if (body.metadata?.status !== "success") errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  return summarize(latencies, errors, elapsed);
}

/** Sends `count` requests at once and waits for all of them. */
export async function burst(
  url: string,
  makeBody: (n: number) => string,
  count: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, async (_, i) => {
    const t = performance.now();
    const body = await (await fetch(url, { method: "POST", body: makeBody(i) })).json();
    if (body.metadata?.status !== "success") errors++;
    latencies.push(performance.now() - t);
  }));
  return summarize(latencies, errors, (performance.now() - started) / 1000);
}

/** Rate and latency quantiles of `latencies` (ms) over `seconds`. */
export function summarize(latencies: number[], errors: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(
      (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) *
        100,
    ) / 100;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    errors,
  };
}
