/**
 * `GET /jobs/{id}/events`: the job's output as Server-Sent Events: what its
 * current attempt printed so far, then live, then a `result` event with the
 * job (for a finished job: its output, then the job at once).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { JobRunner } from "../jobs/runner.ts";
import { isFinished } from "../jobs/runner.ts";
import type { Job } from "../jobs/types.ts";
import type { AppEnv } from "./app_env.ts";
import { EventQueue } from "./event_queue.ts";
import { jobBody } from "./job_bodies.ts";

/** The event stream of `job`, a job of the caller's. */
export function jobEvents(c: Context<AppEnv>, runner: JobRunner, job: Job): Response {
  const id = job.id;
  const finished = (j: Job) => ({ event: "result", data: JSON.stringify(jobBody(j)) });
  return streamSSE(c, async (stream) => {
    const events = new EventQueue();
    if (isFinished(job.status)) {
      const out = (job.result as { output?: { stdout?: string; stderr?: string } } | undefined)
        ?.output;
      if (out?.stdout) events.output(1, out.stdout);
      if (out?.stderr) events.output(2, out.stderr);
      events.end(finished(job));
      await events.drain(stream);
      return;
    }
    const watching = runner.watch(id, (chunk) => events.output(chunk.fd, chunk.text));
    for (const chunk of watching.chunks) events.output(chunk.fd, chunk.text);
    // A client that goes away stops the waiting and the watching.
    const gone = new AbortController();
    stream.onAbort(() => {
      gone.abort();
      events.end();
    });
    runner.wait(id, 24 * 3_600_000, gone.signal).then(async (j) => {
      // The last output another replica wrote comes before the result.
      await watching.settle();
      events.end(finished(j ?? job));
    }).catch((err) =>
      events.end({ event: "error", data: JSON.stringify({ error: (err as Error).message }) })
    );
    await events.drain(stream);
    watching.stop();
  });
}
