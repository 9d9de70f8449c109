/**
 * Dead letters end to end: a job asking to retry its own failures
 * (`retry_on`, `max_attempts`) is dead once its attempts are used, with
 * every attempt in its history; admins list the dead letters of every
 * owner, read, count, retry, discard and purge them (viewers only read),
 * and each action is in the audit log. Replicas on one Redis share the
 * dead letters and the settings changed while running.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { type JobBody, jobsApi } from "./helpers/jobs_api.ts";
import { adminApi } from "./helpers/admin_calls.ts";
import { keyId } from "../routes/auth.ts";
import { startRedis } from "./helpers/redis.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A run that fails once, so its job is dead at once (it asks to retry errors, once). */
const dying = (code: string, extra: Record<string, unknown> = {}) => ({
  language: "js",
  code,
  retry_on: ["error"],
  max_attempts: 1,
  ...extra,
});

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

Deno.test({
  name: "admins list, read, count, retry, discard and purge the dead letters of every owner",
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
    const admin = adminApi(server, "adm");
    const mine = jobsApi(server, { authorization: "Bearer run1" });
    const acme = jobsApi(server, { authorization: "Bearer run1", "x-tenant-id": "acme" });
    const globex = jobsApi(server, {
      authorization: `Bearer ${await admin.makeKey("globex", "runner")}`,
    });
    const ids: Record<string, string> = {};
    const deadAt: Record<string, string> = {};
    /** Submits through `api` and waits for the job to die. */
    const kill = async (name: string, api: typeof mine, body: unknown) => {
      const sub = await api.submit(body);
      assert.equal(sub.status, 202, JSON.stringify(sub.body));
      const job = await api.settle(sub.body.id);
      assert.equal(job.status, "dead", JSON.stringify(job));
      ids[name] = job.id;
      deadAt[name] = job.finished_at!;
    };
    const listed = async (query: string) => {
      const r = await admin.get(`/dlq?${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { dead_letters: { id: string; state: string }[]; total: number };
    };
    const idsOf = (page: { dead_letters: { id: string }[] }) => page.dead_letters.map((l) => l.id);
    // Fails until a moment from now: dead at once, done when retried after.
    const until = Date.now() + 3000;
    try {
      await t.step("the dead letters of every owner are listed, filtered and paged", async () => {
        await kill("a", acme, dying("throw new Error('alpha')", { input: { n: 1 } }));
        await kill("b", acme, dying("raise ValueError('beta')", { language: "python" }));
        await kill("c", mine, dying("throw new Error('gamma')"));
        await kill("g", globex, dying("throw new Error('delta')"));
        await kill(
          "e",
          mine,
          dying(`if (Date.now() < ${until}) throw new Error('not yet');
return 'made it'`),
        );
        const all = await listed("");
        assert.ok(all.total >= 5);
        assert.ok(all.dead_letters.every((l) => l.state === "pending"));
        assert.deepEqual(idsOf(await listed("tenant=acme")), [ids.b, ids.a], "newest first");
        assert.deepEqual(idsOf(await listed("tenant=globex")), [ids.g]);
        // A job naming no tenant goes by its key's id.
        assert.ok(idsOf(await listed(`tenant=${keyId("run1")}`)).includes(ids.c));
        assert.deepEqual(idsOf(await listed("tenant=acme&language=py")), [ids.b]);
        assert.deepEqual(idsOf(await listed("q=BETA")), [ids.b]);
        assert.deepEqual(idsOf(await listed("q=gamma")), [ids.c]);
        const after = new Date(Date.parse(deadAt.a) + 1).toISOString();
        assert.deepEqual(idsOf(await listed(`tenant=acme&from=${after}`)), [ids.b]);
        assert.deepEqual(idsOf(await listed(`tenant=acme&to=${deadAt.a}`)), [ids.a]);
        const page = await listed("tenant=acme&per_page=1&page=2");
        assert.deepEqual([idsOf(page), page.total], [[ids.a], 2]);
        const summary = (await listed("tenant=globex")).dead_letters[0] as Record<string, unknown>;
        assert.equal(summary.tenant, "globex");
        assert.equal(summary.language, "javascript");
        assert.match(String(summary.error), /delta/);
        assert.equal(summary.code_preview, "throw new Error('delta')");
        for (
          const [query, field] of [
            ["status=nope", "status"],
            ["language=cobol", "language"],
            ["per_page=0", "per_page"],
            ["from=yesterday", "from"],
            [`q=${"x".repeat(201)}`, "q"],
          ]
        ) {
          const r = await admin.get(`/dlq?${query}`);
          assert.equal(r.status, 400, query);
          assert.equal(r.body.details[0].field, field);
        }
      });

      await t.step("a dead letter shows its request, owner and every attempt", async () => {
        const r = await admin.get(`/dlq/${ids.a}`);
        assert.equal(r.status, 200);
        const letter = r.body;
        assert.deepEqual(
          [letter.state, letter.status, letter.tenant, letter.key_id],
          ["pending", "dead", "acme", keyId("run1")],
        );
        assert.equal(letter.request.code, "throw new Error('alpha')");
        assert.deepEqual(letter.request.input, { n: 1 });
        assert.deepEqual([letter.max_attempts, letter.retry_on], [1, ["error"]]);
        assert.equal(letter.history.length, 1);
        assert.match(letter.history[0].error, /alpha/);
        assert.ok(letter.history[0].started_at && letter.history[0].finished_at);
        assert.equal((await admin.get("/dlq/nope")).status, 404);
        const done = await mine.submit({ language: "js", code: "return 1" });
        await mine.settle(done.body.id);
        assert.equal((await admin.get(`/dlq/${done.body.id}`)).status, 404, "never dead");
      });

      await t.step("a retry runs it again; a discard sets it aside; stats follow", async () => {
        const before = (await admin.get("/dlq/stats")).body;
        assert.equal(before.total, before.pending + before.retried + before.discarded);
        await sleep(Math.max(0, until - Date.now()) + 100);
        const retried = await admin.post(`/dlq/${ids.e}/retry`);
        assert.equal(retried.status, 202);
        assert.deepEqual(retried.body, { id: ids.e, state: "retried", status: "queued" });
        const done = await mine.settle(ids.e);
        assert.equal(done.status, "done");
        assert.equal(done.result?.output.ret_val, "made it");
        const letter = (await admin.get(`/dlq/${ids.e}`)).body;
        assert.deepEqual([letter.state, letter.status, letter.history.length], [
          "retried",
          "done",
          2,
        ]);
        assert.equal((await admin.post(`/dlq/${ids.e}/retry`)).status, 409);
        const discarded = await admin.post(`/dlq/${ids.a}/discard`);
        assert.equal(discarded.status, 200);
        assert.equal(discarded.body.state, "discarded");
        assert.equal((await admin.post("/dlq/nope/discard")).status, 404);
        assert.deepEqual(idsOf(await listed("tenant=acme&status=discarded")), [ids.a]);
        assert.deepEqual(idsOf(await listed("status=retried")), [ids.e]);
        assert.deepEqual((await admin.get("/dlq/stats")).body, {
          total: before.total,
          pending: before.pending - 2,
          retried: before.retried + 1,
          discarded: before.discarded + 1,
        });
        const audit = async (action: string) =>
          (await admin.get(`/audit?action=${action}`)).body.entries;
        assert.equal((await audit("dlq.retry"))[0].target, ids.e);
        assert.equal((await audit("dlq.discard"))[0].target, ids.a);
      });

      await t.step("batch retry and discard answer for each id", async () => {
        const discard = await admin.post("/dlq/discard", { ids: [ids.b, ids.e, "nope"] });
        assert.equal(discard.status, 200);
        assert.deepEqual(discard.body, {
          results: [
            { id: ids.b, outcome: "ok" },
            { id: ids.e, outcome: "not_dead" },
            { id: "nope", outcome: "not_found" },
          ],
          ok: 1,
        });
        const retry = await admin.post("/dlq/retry", { ids: [ids.c, "nope"] });
        assert.deepEqual(retry.body.results.map((r: { outcome: string }) => r.outcome), [
          "ok",
          "not_found",
        ]);
        // It fails again: a pending dead letter once more.
        assert.equal((await mine.settle(ids.c)).status, "dead");
        assert.equal((await admin.get(`/dlq/${ids.c}`)).body.state, "pending");
        for (const body of [{}, { ids: [] }, { ids: "x" }, { ids: [1] }]) {
          const r = await admin.post("/dlq/retry", body);
          assert.equal(r.status, 400, JSON.stringify(body));
          assert.match(r.body.details[0].field, /^ids/);
        }
        const audit = (await admin.get("/audit?action=dlq.discard")).body.entries[0];
        assert.deepEqual([audit.target, audit.after], [ids.b, { ids: [ids.b] }]);
      });

      await t.step(
        "viewer keys read the dead letters but act on none; runner keys see none",
        async () => {
          const viewer = adminApi(server, await admin.makeKey("ops", "viewer"));
          assert.equal((await viewer.get("/dlq")).status, 200);
          assert.equal((await viewer.get("/dlq/stats")).status, 200);
          assert.equal((await viewer.get(`/dlq/${ids.c}`)).status, 200);
          assert.equal((await viewer.post(`/dlq/${ids.c}/retry`)).status, 403);
          assert.equal((await viewer.post("/dlq/discard", { ids: [ids.c] })).status, 403);
          assert.equal((await viewer.delete("/dlq?confirm=true")).status, 403);
          const runner = adminApi(server, "run1");
          assert.equal((await runner.get("/dlq")).status, 403);
          assert.equal((await runner.get("/dlq/stats")).status, 403);
          assert.equal((await admin.get(`/dlq/${ids.c}`)).body.state, "pending", "untouched");
        },
      );

      await t.step(
        "a purge takes confirm=true and deletes pending and discarded ones",
        async () => {
          for (const query of ["", "?confirm=yes"]) {
            const r = await admin.delete(`/dlq${query}`);
            assert.equal(r.status, 400);
            assert.equal(r.body.details[0].field, "confirm");
          }
          const before = (await admin.get("/dlq/stats")).body;
          const purged = await admin.delete("/dlq?confirm=true");
          assert.equal(purged.status, 200);
          assert.deepEqual(purged.body, { deleted: before.pending + before.discarded });
          assert.deepEqual((await admin.get("/dlq/stats")).body, {
            total: before.retried,
            pending: 0,
            retried: before.retried,
            discarded: 0,
          });
          assert.equal((await admin.get(`/dlq/${ids.a}`)).status, 404);
          assert.equal((await mine.get(ids.c)).status, 404);
          assert.equal((await mine.get(ids.e)).body.status, "done", "a retried job stays");
          const audit = (await admin.get("/audit?action=dlq.purge")).body.entries[0];
          assert.deepEqual(audit.after, { deleted: purged.body.deleted });
        },
      );
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "replicas on one Redis share the dead letters and the settings",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const redis = await startRedis();
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_STORE: redis.url,
      FAAS_ADMIN_KEYS: "adm",
      FAAS_API_KEYS: "run1",
    };
    const a = await startServer(env);
    const b = await startServer(env);
    const [adminA, adminB] = [adminApi(a, "adm"), adminApi(b, "adm")];
    const jobsA = jobsApi(a, { authorization: "Bearer run1" });
    try {
      await t.step(
        "a dead letter of one replica is read and acted on through the other",
        async () => {
          const sub = await jobsA.submit(dying("throw new Error('shared')"));
          const id = sub.body.id;
          assert.equal((await jobsA.settle(id)).status, "dead");
          const listed = (await adminB.get("/dlq?q=shared")).body;
          assert.deepEqual(listed.dead_letters.map((l: { id: string }) => l.id), [id]);
          assert.equal(
            (await adminB.get(`/dlq/${id}`)).body.request.code,
            "throw new Error('shared')",
          );
          assert.equal((await adminB.post(`/dlq/${id}/discard`)).status, 200);
          assert.equal((await adminA.get(`/dlq/${id}`)).body.state, "discarded");
          assert.equal((await adminA.post(`/dlq/${id}/retry`)).status, 202);
          assert.equal((await adminB.get(`/dlq/${id}`)).body.state, "retried");
          // It fails again, wherever it ran: pending once more, on both.
          assert.equal((await jobsA.settle(id)).status, "dead");
          assert.equal((await adminB.get("/dlq/stats")).body.pending, 1);
          assert.deepEqual((await adminB.delete("/dlq?confirm=true")).body, { deleted: 1 });
          assert.deepEqual((await adminA.get("/dlq/stats")).body, {
            total: 0,
            pending: 0,
            retried: 0,
            discarded: 0,
          });
        },
      );

      await t.step("a setting changed through one replica holds on the other", async () => {
        const put = await adminA.put("/settings/retention.audit_days", { value: 12 });
        assert.equal(put.status, 200);
        const seen = (await adminB.get("/settings/retention.audit_days")).body;
        assert.deepEqual([seen.value, seen.source], [12, "runtime"]);
        assert.equal((await adminB.get("/retention/stats")).body.audit.days, 12);
        // A key limit applies on the other replica once it reads the store again.
        await adminA.put("/settings/keys.runs_per_minute", { value: 1 });
        const run = () =>
          b.run({ language: "js", code: "return 1" }, {
            headers: { "content-type": "application/json", authorization: "Bearer run1" },
          });
        let status = 200;
        for (let i = 0; i < 40 && status === 200; i++) {
          status = (await run()).status;
          if (status === 200) await sleep(250);
        }
        assert.equal(status, 429);
      });
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
  },
});
