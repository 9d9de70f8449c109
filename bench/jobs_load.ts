/**
 * Loads for the jobs API: how many jobs a service accepts and completes per
 * second, and how much a job's round trip (submit, then long-poll) adds to
 * the same run through `/run_code`. Driven with fetch from the benchmark's
 * process, like `fetch_load.ts`.
 */
import type { LoadResult } from "./wrk.ts";
import { summarize } from "./fetch_load.ts";

/** Submission and completion figures of one batch of jobs. */
export interface JobsThroughput {
  /** The POST /jobs requests: rate, latency, refusals. */
  submit: LoadResult;
  /** Jobs finished per second, from the first submission to the last result. */
  completedPerSecond: number;
  /** Jobs that did not end `done` with a successful run. */
  failed: number;
}

/** Submits `count` jobs over `connections` loops, then waits for all of them. */
export async function jobsThroughput(
  url: string,
  body: string,
  count: number,
  connections: number,
): Promise<JobsThroughput> {
  const latencies: number[] = [];
  const ids: string[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next++ < count) {
      const t = performance.now();
      const res = await fetch(`${url}/jobs`, { method: "POST", body });
      const job = await res.json();
      latencies.push(performance.now() - t);
      if (res.status === 202) ids.push(job.id);
      else errors++;
    }
  }));
  const submit = summarize(latencies, errors, (performance.now() - started) / 1000);
  let failed = errors;
  let cursor = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (cursor < ids.length) {
      const id = ids[cursor++];
      let job = { status: "queued", result: null as null | { metadata: { status: string } } };
      for (let i = 0; i < 10 && (job.status === "queued" || job.status === "running"); i++) {
        job = await (await fetch(`${url}/jobs/${id}?wait=30`)).json();
      }
      if (job.status !== "done" || job.result?.metadata.status !== "success") failed++;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { submit, completedPerSecond: ids.length / seconds, failed };
}

/** Round trips, one at a time, of a job and of the same run through `/run_code`. */
export async function jobLatency(
  url: string,
  body: string,
  count: number,
): Promise<{ job: LoadResult; direct: LoadResult }> {
  const job: number[] = [];
  const direct: number[] = [];
  let jobErrors = 0;
  let directErrors = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    let t = performance.now();
    const sync = await (await fetch(`${url}/run_code`, { method: "POST", body })).json();
    direct.push(performance.now() - t);
    if (sync.metadata?.status !== "success") directErrors++;
    t = performance.now();
    const { id } = await (await fetch(`${url}/jobs`, { method: "POST", body })).json();
    const done = await (await fetch(`${url}/jobs/${id}?wait=30`)).json();
    job.push(performance.now() - t);
    if (done.result?.metadata?.status !== "success") jobErrors++;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    job: summarize(job, jobErrors, seconds),
    direct: summarize(direct, directErrors, seconds),
  };
}
