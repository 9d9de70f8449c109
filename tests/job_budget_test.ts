/**
 * What jobs may keep: a result over FAAS_JOB_MAX_RESULT_BYTES is stored cut
 * and says so; an owner whose kept results reach FAAS_JOB_MAX_OWNER_BYTES
 * has its new jobs refused (507) while other owners go on; listings are
 * summaries without results, page by page.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { type JobBody, jobsApi } from "./helpers/jobs_api.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;
const printing = (n: number) => ({ language: "python", code: `print('x' * ${n})` });

Deno.test({
  name: "jobs keep results within their per-job and per-owner budgets, and list summaries",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_API_KEYS: "key-a",
      FAAS_JOB_MAX_RESULT_BYTES: "2048",
      FAAS_JOB_MAX_OWNER_BYTES: "4096",
    });
    const as = (tenant: string) =>
      jobsApi(server, { authorization: "Bearer key-a", "x-tenant-id": tenant });
    const big = as("big");
    try {
      await t.step("a result over the per-job cap is stored cut, and says so", async () => {
        const sub = await big.submit(printing(10_000));
        assert.equal(sub.status, 202);
        const job = await big.settle(sub.body.id);
        assert.equal(job.status, "done");
        assert.equal(job.result_truncated, true);
        assert.match(
          job.result_note ?? "",
          /^Result of \d+ bytes cut to fit FAAS_JOB_MAX_RESULT_BYTES \(2048 bytes\)/,
        );
        assert.ok(bytes(job.result) <= 2048, String(bytes(job.result)));
        const stdout = job.result!.output.stdout;
        assert.ok(stdout.length > 500 && /^x+$/.test(stdout), stdout);
        assert.equal(job.result!.metadata.truncated, true);
        assert.equal(job.result!.metadata.status, "success");
        const small = await big.settle((await big.submit(printing(3))).body.id);
        assert.equal(small.result_truncated, false);
        assert.equal(small.result_note, undefined);
        assert.equal(small.result!.output.stdout, "xxx\n");
      });

      await t.step("an owner past its budget is refused; another owner is not", async () => {
        // What is left of the budget is filled: the result cut says by what.
        const cut: JobBody[] = [];
        let refused;
        for (let i = 0; i < 4 && !refused; i++) {
          const sub = await big.submit(printing(10_000));
          if (sub.status === 507) refused = sub;
          else cut.push(await big.settle(sub.body.id));
        }
        assert.ok(refused, "the owner was refused");
        assert.ok(cut.length >= 1);
        assert.match(cut[0].result_note ?? "", /left of its owner's job storage budget/);
        assert.match(cut[0].result_note ?? "", /FAAS_JOB_MAX_OWNER_BYTES, 4096 bytes/);
        assert.match(refused.body.error, /^Job storage budget used up: your kept jobs hold \d+/);
        assert.match(refused.body.error, /the limit is 4096 bytes \(FAAS_JOB_MAX_OWNER_BYTES\)/);
        assert.equal(refused.body.details[0].field, "FAAS_JOB_MAX_OWNER_BYTES");
        // A batch too, and nothing of it is queued.
        const batch = await big.submit({ runs: [printing(1), printing(2)] });
        assert.equal(batch.status, 507);
        assert.deepEqual((await big.list("queued")).body.jobs, []);
        // Another tenant of the same key is another owner, with its own budget.
        const other = as("other");
        const sub = await other.submit(printing(5));
        assert.equal(sub.status, 202);
        assert.equal((await other.settle(sub.body.id)).result!.output.stdout, "xxxxx\n");
      });

      await t.step("listings are summaries without results, page by page", async () => {
        const pages = as("pages");
        const batch = await pages.submit({ runs: [1, 2, 3, 4, 5].map(printing) });
        assert.equal(batch.status, 202);
        for (const id of batch.body.ids) await pages.settle(id);
        const seen: string[] = [];
        let page = await pages.list("done", "&limit=2");
        for (let i = 0; i < 5; i++) {
          assert.equal(page.status, 200);
          assert.ok(page.body.jobs.length <= 2);
          for (const j of page.body.jobs) {
            assert.deepEqual(Object.keys(j).sort(), [
              "attempts",
              "created_at",
              "finished_at",
              "id",
              "started_at",
              "status",
            ]);
            seen.push(j.id);
          }
          if (page.body.next === null) break;
          page = await pages.list("done", `&limit=2&cursor=${page.body.next}`);
        }
        assert.equal(page.body.next, null);
        assert.deepEqual(seen, [...batch.body.ids].sort());
        const everything = await pages.list("done");
        assert.equal(everything.body.jobs.length, 5);
        for (const query of ["&limit=0", "&limit=1001", "&limit=2.5", "&cursor=%21%21"]) {
          const bad = await pages.list("done", query);
          assert.equal(bad.status, 400, query);
          assert.match(bad.body.error, /^Invalid request: check (limit|cursor)$/);
        }
      });
    } finally {
      await server.close();
    }
  },
});
