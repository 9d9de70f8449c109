/** Urgent runs while low-priority traffic overloads the pool. */
import { runWrk } from "./wrk.ts";
import type { LoadResult } from "./wrk.ts";

/**
 * Urgent runs every 50 ms for `seconds` while 64 connections of
 * low-priority runs overload the pool; the urgent runs' latencies, and the
 * low traffic's figures as a note.
 */
export async function priorityUnderOverload(
  url: string,
  body: (language: string, code: string, extra?: Record<string, unknown>) => string,
  seconds: number,
): Promise<LoadResult & { note: string }> {
  const low = runWrk(
    `${url}/run_code`,
    body("python", "print(1)", { priority: "low" }),
    64,
    seconds + 1,
  );
  await new Promise((r) => setTimeout(r, 500));
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await fetch(`${url}/run_code`, {
      method: "POST",
      body: body("python", "print(1)", { priority: "urgent" }),
    });
    const j = await res.json();
    if (j.metadata?.status !== "success") errors++;
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  const lowResult = await low;
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: q(0.5),
    p95Ms: q(0.95),
    p99Ms: q(0.99),
    errors,
    note: `low traffic: ${lowResult.rps.toFixed(0)} req/s, p50 ${lowResult.p50Ms} ms`,
  };
}
