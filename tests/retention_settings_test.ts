/**
 * Settings and retention through the admin API, against a real service on
 * a SQLite file: every setting grouped with its source and secrets masked;
 * runtime settings changed, applied, audited and kept across a restart;
 * start-up settings, bad values and unknown keys refused. What each kind of
 * kept data holds, a clean-up by age or by the configured days, and the
 * clean-up a service runs by itself at start while retention.auto is on.
 * With FAAS_AUDIT_RUNS, every run in the audit log, its metadata only.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startServer, type TestServer } from "./helpers/server.ts";
import { adminApi } from "./helpers/admin_calls.ts";
import { jobsApi } from "./helpers/jobs_api.ts";
import { keyId } from "../routes/auth.ts";
import { createHash } from "node:crypto";

const ADMIN = "adm-s3cret";
const RUNNER = "run1-s3cret";

Deno.test({
  name: "settings show where each value comes from; runtime ones change and are kept",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "faas-settings-" });
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ADMIN_KEYS: ADMIN,
      FAAS_API_KEYS: RUNNER,
      FAAS_JOB_STORE: `${dir}/jobs.sqlite`,
      FAAS_TIMEOUT: "20000",
    };
    let server: TestServer = await startServer(env);
    let admin = adminApi(server, ADMIN);
    type Entry = { key: string; value: unknown; source: string; runtime_editable: boolean };
    try {
      await t.step("settings are grouped, with their source, secrets masked", async () => {
        const r = await admin.get("/settings");
        assert.equal(r.status, 200);
        assert.deepEqual(Object.keys(r.body), [
          "general",
          "runs",
          "isolation",
          "jobs",
          "security",
          "retention",
        ]);
        const all = new Map<string, Entry>(
          (Object.values(r.body).flat() as Entry[]).map((e) => [e.key, e]),
        );
        const pick = (key: string) => {
          const e = all.get(key)!;
          return [e.value, e.source, e.runtime_editable];
        };
        assert.deepEqual(pick("runs.timeout_ms"), [20000, "env", false]);
        assert.deepEqual(pick("runs.max_timeout_ms"), [300000, "default", false]);
        assert.deepEqual(pick("keys.api_keys"), ["***", "env", false]);
        assert.deepEqual(pick("keys.admin_keys"), ["***", "env", false]);
        assert.deepEqual(pick("retention.jobs_days"), [1 / 24, "default", true]);
        assert.deepEqual(pick("retention.dead_letters_days"), [30, "default", true]);
        assert.deepEqual(pick("retention.auto"), [true, "default", true]);
        assert.deepEqual(pick("keys.max_concurrent"), [0, "default", true]);
        assert.doesNotMatch(JSON.stringify(r.body), /s3cret/);
        const one = await admin.get("/settings/runs.timeout_ms");
        assert.deepEqual(one.body.value, 20000);
        const none = await admin.get("/settings/runs.nope");
        assert.equal(none.status, 404);
        assert.match(none.body.error, /runs\.nope/);
      });

      await t.step("a runtime setting changes, applies at once, and is audited", async () => {
        const put = await admin.put("/settings/retention.dead_letters_days", { value: 7 });
        assert.equal(put.status, 200);
        assert.deepEqual([put.body.value, put.body.source], [7, "runtime"]);
        const entry = (await admin.get("/audit?action=settings.update")).body.entries[0];
        assert.equal(entry.target, "retention.dead_letters_days");
        assert.deepEqual(entry.before, { value: 30, source: "default" });
        assert.deepEqual(entry.after, { value: 7, source: "runtime" });
        // The key limits of the runner keys follow from the next run on.
        assert.equal((await admin.put("/settings/keys.runs_per_minute", { value: 2 })).status, 200);
        const statuses = [];
        for (let i = 0; i < 3; i++) {
          const r = await server.run({ language: "js", code: "return 1" }, {
            headers: { "content-type": "application/json", authorization: `Bearer ${RUNNER}` },
          });
          statuses.push(r.status);
        }
        assert.deepEqual(statuses, [200, 200, 429]);
        assert.equal((await admin.put("/settings/keys.runs_per_minute", { value: 0 })).status, 200);
      });

      await t.step("start-up settings, bad values and unknown keys are refused", async () => {
        const startup = await admin.put("/settings/runs.timeout_ms", { value: 5 });
        assert.equal(startup.status, 409);
        assert.match(startup.body.error, /FAAS_TIMEOUT.*restart/);
        for (
          const [key, body] of [
            ["retention.audit_days", { value: -1 }],
            ["retention.audit_days", { value: "7" }],
            ["retention.audit_days", {}],
            ["retention.jobs_days", { value: 0 }],
            ["retention.auto", { value: "yes" }],
            ["keys.max_concurrent", { value: 1.5 }],
          ] as const
        ) {
          const r = await admin.put(`/settings/${key}`, body);
          assert.equal(r.status, 400, `${key} ${JSON.stringify(body)}`);
          assert.deepEqual(r.body.details.map((d: { field: string }) => d.field), ["value"]);
        }
        const unknown = await admin.put("/settings/retention.forever", { value: 1 });
        assert.equal(unknown.status, 404);
        assert.match(unknown.body.error, /retention\.forever/);
        const viewer = adminApi(server, await admin.makeKey("ops", "viewer"));
        assert.equal((await viewer.get("/settings")).status, 200);
        assert.equal((await viewer.put("/settings/retention.auto", { value: false })).status, 403);
        assert.equal((await adminApi(server, RUNNER).get("/settings")).status, 403);
      });

      await t.step("runtime settings are kept across a restart", async () => {
        await server.close();
        server = await startServer(env);
        admin = adminApi(server, ADMIN);
        const kept = await admin.get("/settings/retention.dead_letters_days");
        assert.deepEqual([kept.body.value, kept.body.source], [7, "runtime"]);
        const limit = await admin.get("/settings/keys.runs_per_minute");
        assert.deepEqual([limit.body.value, limit.body.source], [0, "runtime"]);
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const DAY_MS = 86_400_000;

Deno.test({
  name: "retention measures kept data and cleans it up by age, on request and by itself",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "faas-retention-" });
    const path = `${dir}/jobs.sqlite`;
    const env = {
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ADMIN_KEYS: ADMIN,
      FAAS_API_KEYS: RUNNER,
      FAAS_JOB_STORE: path,
      // 30 days: the service's own expiry never takes what this test ages.
      FAAS_JOB_TTL: String(30 * DAY_MS),
    };
    let server: TestServer = await startServer(env);
    let admin = adminApi(server, ADMIN);
    let jobs = jobsApi(server, { authorization: `Bearer ${RUNNER}` });
    const dead = async () => {
      const sub = await jobs.submit({
        language: "js",
        code: "throw new Error('kept')",
        retry_on: ["error"],
        max_attempts: 1,
      });
      assert.equal((await jobs.settle(sub.body.id)).status, "dead");
      return sub.body.id as string;
    };
    /** Moves the kept times of some rows `days` into the past, as if written then. */
    const age = (sql: string, ...ids: string[]) => {
      const db = new DatabaseSync(path);
      try {
        db.exec("PRAGMA busy_timeout = 5000");
        db.prepare(sql).run(2 * DAY_MS, ...ids);
      } finally {
        db.close();
      }
    };
    const ids: string[] = [];
    try {
      await t.step("stats say what each kind holds and how long it is kept", async () => {
        for (let i = 0; i < 2; i++) {
          const sub = await jobs.submit({ language: "js", code: `return ${i}` });
          ids.push((await jobs.settle(sub.body.id)).id);
        }
        ids.push(await dead());
        const r = await admin.get("/retention/stats");
        assert.equal(r.status, 200);
        assert.deepEqual(Object.keys(r.body), ["jobs", "dead_letters", "audit", "usage_history"]);
        const { jobs: done, dead_letters: letters, audit } = r.body;
        // Usage is written within a second of the runs.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const usage = (await admin.get("/retention/stats")).body.usage_history;
        assert.ok(usage.count >= 1 && usage.days === 30, JSON.stringify(usage));
        assert.deepEqual([done.count, done.days], [2, 30]);
        assert.ok(Date.parse(done.oldest) <= Date.now() && done.bytes > 100, JSON.stringify(done));
        assert.deepEqual([letters.count, letters.days], [1, 30]);
        assert.ok(letters.bytes > 50);
        assert.equal(audit.days, 30);
      });

      await t.step("a clean-up deletes what is older than the days asked for", async () => {
        age("UPDATE jobs SET finished_at = finished_at - ? WHERE id = ?", ids[0]);
        age(
          "UPDATE jobs SET finished_at = finished_at - ?1, dead_at = dead_at - ?1 WHERE id = ?2",
          ids[2],
        );
        const key = await admin.post("/keys", { tenant: "t", role: "viewer", name: "old" });
        age("UPDATE audit_log SET at = at - ? WHERE target = ?", key.body.id);
        // A usage hour from two days ago goes; today's hours stay.
        const db = new DatabaseSync(path);
        db.exec("PRAGMA busy_timeout = 5000");
        db.prepare(
          `INSERT INTO usage_hours (tenant, hour, key_id, invocations, errors, timeouts,
            memory_kills, cpu_ms, wall_ms, peak_memory_bytes) VALUES (?, ?, '', 1, 0, 0, 0, 1, 1, 0)`,
        ).run("long ago", Math.floor((Date.now() - 2 * DAY_MS) / 3_600_000) * 3_600_000);
        db.close();
        const r = await admin.post("/retention/cleanup", { older_than_days: 1 });
        assert.equal(r.status, 200);
        assert.deepEqual(r.body, {
          deleted: { jobs: 1, dead_letters: 1, audit: 1, usage_history: 1 },
          older_than_days: 1,
        });
        assert.equal((await jobs.get(ids[0])).status, 404);
        assert.equal((await jobs.get(ids[1])).status, 200);
        assert.equal((await jobs.get(ids[2])).status, 404);
        const entry = (await admin.get("/audit?action=retention.cleanup")).body.entries[0];
        assert.deepEqual(entry.after, r.body);
        for (const days of [0, 1.5, "2", -1]) {
          const bad = await admin.post("/retention/cleanup", { older_than_days: days });
          assert.equal(bad.status, 400, String(days));
          assert.equal(bad.body.details[0].field, "older_than_days");
        }
      });

      await t.step("without days, each kind goes by its configured days", async () => {
        await dead();
        for (const key of ["retention.dead_letters_days", "retention.audit_days"]) {
          assert.equal((await admin.put(`/settings/${key}`, { value: 0 })).status, 200);
        }
        const r = await fetch(`${server.url}/api/v1/retention/cleanup`, {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        const body = await r.json();
        assert.equal(r.status, 200);
        assert.equal(body.older_than_days, null);
        assert.deepEqual([body.deleted.jobs, body.deleted.dead_letters], [0, 1]);
        assert.ok(body.deleted.audit >= 2, JSON.stringify(body));
        const stats = (await admin.get("/retention/stats")).body;
        assert.deepEqual([stats.dead_letters.count, stats.dead_letters.days], [0, 0]);
        // What is left of the audit log is the clean-up's own entry.
        assert.equal(stats.audit.count, 1);
        const viewer = adminApi(server, await admin.makeKey("ops", "viewer"));
        assert.equal((await viewer.get("/retention/stats")).status, 200);
        assert.equal((await viewer.post("/retention/cleanup")).status, 403);
      });

      await t.step("while retention.auto is on, a service cleans up by itself", async () => {
        const kept = await dead();
        assert.equal((await admin.put("/settings/retention.auto", { value: false })).status, 200);
        await server.close();
        server = await startServer(env);
        admin = adminApi(server, ADMIN);
        jobs = jobsApi(server, { authorization: `Bearer ${RUNNER}` });
        await new Promise((r) => setTimeout(r, 500));
        assert.equal((await jobs.get(kept)).status, 200, "auto off: kept");
        assert.equal((await admin.put("/settings/retention.auto", { value: true })).status, 200);
        await server.close();
        server = await startServer(env);
        admin = adminApi(server, ADMIN);
        jobs = jobsApi(server, { authorization: `Bearer ${RUNNER}` });
        let status = 200;
        for (let i = 0; i < 50 && status === 200; i++) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await jobs.get(kept)).status;
        }
        assert.equal(status, 404, "dead letters are kept 0 days");
        let entries: { target: string }[] = [];
        for (let i = 0; i < 20 && !entries.length; i++) {
          await new Promise((r) => setTimeout(r, 100));
          entries = (await admin.get("/audit?action=retention.cleanup")).body.entries;
        }
        assert.equal(entries[0]?.target, "auto");
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "FAAS_AUDIT_RUNS records every run's metadata, never its code, input or output",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ADMIN_KEYS: ADMIN,
      FAAS_API_KEYS: RUNNER,
      FAAS_AUDIT_RUNS: "true",
    });
    const admin = adminApi(server, ADMIN);
    const auth = { authorization: `Bearer ${RUNNER}` };
    try {
      const code = "return 'code-marker-' + INPUT";
      const ran = await server.run(
        { language: "js", code, input: "input-marker", tenant: "acme" },
        {
          headers: { "content-type": "application/json", ...auth },
        },
      );
      assert.equal(ran.body.output.ret_val, "code-marker-input-marker");
      const jobs = jobsApi(server, auth);
      const sub = await jobs.submit({ language: "python", code: "print('job-marker')" });
      const job = await jobs.settle(sub.body.id);
      const taskIds = [ran.body.metadata.task_id, job.result!.metadata.task_id];
      let entries: { target: string; actor: string; after: Record<string, unknown> }[] = [];
      for (let i = 0; i < 50 && entries.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        entries = (await admin.get("/audit?action=run")).body.entries;
      }
      assert.deepEqual(entries.map((e) => e.target).sort(), [...taskIds].sort());
      const direct = entries.find((e) => e.target === taskIds[0])!;
      assert.equal(direct.actor, keyId(RUNNER));
      assert.deepEqual(direct.after, {
        tenant: "acme",
        key_id: keyId(RUNNER),
        language: "javascript",
        code_sha256: createHash("sha256").update(code).digest("hex"),
        status: "success",
        duration_ms: direct.after.duration_ms,
      });
      assert.equal(typeof direct.after.duration_ms, "number");
      const viaJob = entries.find((e) => e.target === taskIds[1])!;
      // A run naming no tenant is its key's.
      assert.deepEqual([viaJob.after.tenant, viaJob.after.language], [keyId(RUNNER), "python"]);
      assert.doesNotMatch(JSON.stringify(entries), /marker/);
      const csv = await fetch(`${server.url}/api/v1/audit?action=run&format=csv`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      assert.doesNotMatch(await csv.text(), /marker/);
      const setting = (await admin.get("/settings/security.audit_runs")).body;
      assert.deepEqual([setting.value, setting.source], [true, "env"]);
    } finally {
      await server.close();
    }
  },
});
