/** Jobs made by tests to put straight into a job store. */
import type { Job } from "../../jobs/types.ts";
import type { Priority } from "../../scheduler/priority_queue.ts";

/** A queued job of `owner` running `return 1` in JavaScript. */
export function queuedJob(id: string, owner: string, priority: Priority, createdAt: number): Job {
  return {
    id,
    owner,
    status: "queued",
    attempts: 0,
    createdAt,
    run: {
      request: {
        language: "javascript",
        code: "return 1",
        input: "null",
        stdin: "",
        timeoutMs: 1000,
        priority,
        key: owner,
      },
      timeoutClamped: false,
      ignoredFields: [],
    },
  };
}
