/**
 * Dead letters end to end: a job asking to retry its own failures
 * (`retry_on`, `max_attempts`) is dead once its attempts are used, with
 * every attempt in its history.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { type JobBody, jobsApi } from "./helpers/jobs_api.ts";

const FAILING = "throw new Error('dlq-boom')";

Deno.test({
  name: "jobs retry the failures they name, then are dead letters",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ADMIN_KEYS: "adm",
      FAAS_API_KEYS: "run1",
      FAAS_JOB_STORE: ":memory:",
    });
    const jobs = jobsApi(server, { authorization: "Bearer run1" });
    try {
      await t.step("an error retried twice makes a dead letter with both attempts", async () => {
        const sub = await jobs.submit({
          language: "js",
          code: FAILING,
          retry_on: ["error"],
          max_attempts: 2,
        });
        assert.equal(sub.status, 202);
        const dead = await jobs.settle(sub.body.id);
        assert.equal(dead.status, "dead");
        assert.equal(dead.attempts, 2);
        assert.match(dead.error ?? "", /Failed 2 times; last: Error: dlq-boom/);
        assert.deepEqual(dead.history.map((a) => [a.attempt, a.outcome, a.run_status]), [
          [1, "failed", "error"],
          [2, "failed", "error"],
        ]);
        for (const a of dead.history) assert.match(a.error ?? "", /dlq-boom/);
      });

      await t.step("without retry_on an error is the job's result, not a retry", async () => {
        const sub = await jobs.submit({ language: "js", code: FAILING, max_attempts: 2 });
        const done: JobBody = await jobs.settle(sub.body.id);
        assert.equal(done.status, "done");
        assert.equal(done.attempts, 1);
        assert.equal(done.result?.metadata.status, "error");
      });

      await t.step("a timeout is retried when the job names it", async () => {
        const sub = await jobs.submit({
          language: "js",
          code: "for (;;) {}",
          timeout: 200,
          retry_on: ["timeout", "memory"],
          max_attempts: 2,
        });
        const dead = await jobs.settle(sub.body.id);
        assert.equal(dead.status, "dead");
        assert.deepEqual(dead.history.map((a) => a.run_status), ["timeout", "timeout"]);
      });

      await t.step("invalid retry fields are 400s naming them; nothing is queued", async () => {
        for (
          const [extra, field] of [
            [{ max_attempts: 0 }, "max_attempts"],
            [{ max_attempts: 4 }, "max_attempts"],
            [{ max_attempts: "2" }, "max_attempts"],
            [{ retry_on: ["error", "oops"] }, "retry_on"],
            [{ retry_on: "error" }, "retry_on"],
          ] as const
        ) {
          const r = await jobs.submit({ language: "js", code: "return 1", ...extra });
          assert.equal(r.status, 400, JSON.stringify(extra));
          assert.deepEqual(r.body.details.map((d: { field: string }) => d.field), [field]);
          assert.match(r.body.error, new RegExp(field));
        }
        const batch = await jobs.submit({
          runs: [
            { language: "js", code: "return 1", retry_on: ["error"] },
            { language: "js", code: "return 1", retry_on: ["never"] },
          ],
        });
        assert.equal(batch.status, 400);
        assert.equal(batch.body.details[0].field, "runs.1.retry_on");
      });

      await t.step("the retry fields are read, never reported as ignored", async () => {
        const sub = await jobs.submit({
          language: "js",
          code: "return 2",
          retry_on: ["killed", "error"],
          max_attempts: 3,
        });
        const done = await jobs.settle(sub.body.id);
        const ignored = (done.result?.metadata as Record<string, unknown>).ignored_fields;
        assert.deepEqual(ignored, []);
      });
    } finally {
      await server.close();
    }
  },
});
