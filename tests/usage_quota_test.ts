/**
 * Usage metering and quotas through the API, on a real service: every kind
 * of run (sync, Piston, a job, a batch, errors and timeouts) counted for
 * its tenant and key; history by hour and day; quotas on runs per day and
 * runs in progress refused with 429 (other tenants untouched) and warned
 * about before; roles; bad input named; usage and quotas kept across a
 * restart (SQLite). Replicas on Redis: `usage_quota_replicas_test.ts`.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { keyId } from "../routes/auth.ts";
import {
  type Answer,
  assertDocumented,
  type AuditBody,
  call,
  type HistoryBody,
  jobs,
  type Json,
  makeKey,
  type QuotaBody,
  run,
  type UsageBody,
  usageOf,
} from "./helpers/admin_api.ts";

/** A Piston execute body. */
const pistonRun = (code: string) => ({
  language: "python",
  version: "*",
  files: [{ content: code }],
});

Deno.test({
  name: "usage and quotas through the admin API, kept across a restart",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir();
    const env = {
      FAAS_ADMIN_KEYS: "adm",
      FAAS_API_KEYS: "run1",
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_JOB_STORE: `${dir}/jobs.sqlite`,
    };
    let server = await startServer(env);
    const seen: [string, string, number][] = [];
    const admin = async <T = Answer>(key: string, method: string, path: string, body?: unknown) => {
      const r = await call<T>(server, key, method, path, body);
      const route = path.split("?")[0].replace(/\/quota\/[^/]+$/, "/quota/{tenant}")
        .replace(/\/usage\/[^/]+\/history$/, "/usage/{tenant}/history");
      seen.push([method.toLowerCase(), route, r.status]);
      return r;
    };
    try {
      const acme = await makeKey(server, "acme", "runner");
      const beta = await makeKey(server, "beta", "runner");
      const viewer = await makeKey(server, "ops", "viewer");
      type Keys = { keys: { id: string; tenant: string }[] };
      const listed = await call<Keys>(server, "adm", "GET", "/api/v1/keys");
      const acmeId = listed.body.keys.find((k) => k.tenant === "acme")!.id;

      await t.step("every kind of run counts for its tenant and key", async () => {
        assert.equal((await run(server, acme, "1 + 1")).status, 200);
        const js = { language: "js", code: "return 2" };
        assert.equal((await call(server, acme, "POST", "/run_code", js)).status, 200);
        const error = await run(server, acme, "raise ValueError('no')");
        assert.equal(error.body.metadata.status, "error");
        const timeout = await run(server, acme, "while True: pass", { timeout: 300 });
        assert.equal(timeout.body.metadata.status, "timeout");
        const piston = await call(server, acme, "POST", "/api/v2/execute", pistonRun("print(3)"));
        assert.equal(piston.status, 200);
        const [job] = await jobs(server, acme, { language: "python", code: "4" });
        assert.equal(job.status, "done");
        const batch = await jobs(server, acme, {
          runs: [{ language: "python", code: "5" }, { language: "js", code: "return 6" }],
        });
        assert.deepEqual(batch.map((j) => j.status), ["done", "done"]);
        const u = await usageOf(server, "acme");
        assert.equal(u.tenant, "acme");
        assert.equal(u.invocations, 8);
        assert.equal(u.errors, 1);
        assert.equal(u.timeouts, 1);
        assert.equal(u.memory_kills, 0);
        assert.ok(u.cpu_ms > 0, `cpu_ms ${u.cpu_ms}`);
        assert.ok(u.wall_ms > 300, `wall_ms ${u.wall_ms}`);
        assert.ok(u.peak_memory_bytes > 0);
        assert.deepEqual(u.keys.map((k) => [k.key_id, k.invocations]), [[acmeId, 8]]);
      });

      await t.step("a configured key's runs count for the tenant named, else the key", async () => {
        assert.equal((await run(server, "run1", "1")).status, 200);
        assert.equal((await run(server, "run1", "1", { tenant: "named" })).status, 200);
        const all = (await admin<UsageBody>("adm", "GET", "/api/v1/usage")).body.tenants;
        const byName = new Map(all.map((t) => [t.tenant, t]));
        const own = byName.get(keyId("run1"))!;
        assert.equal(own.invocations, 1);
        assert.equal(own.keys[0].key_id, keyId("run1"));
        assert.equal(byName.get("named")!.invocations, 1);
      });

      await t.step("history: by hour and by day, adding up to the total", async () => {
        for (const bucket of ["hour", "day"]) {
          const path = `/api/v1/usage/acme/history?bucket=${bucket}`;
          const h = await admin<HistoryBody>("adm", "GET", path);
          assert.equal(h.status, 200);
          assert.equal(h.body.tenant, "acme");
          assert.equal(h.body.bucket, bucket);
          const sum = h.body.points.reduce((a, p) => a + p.invocations, 0);
          assert.equal(sum, 8);
          for (const p of h.body.points) {
            const start = Date.parse(p.start);
            assert.equal(start % (bucket === "hour" ? 3_600_000 : 86_400_000), 0);
          }
        }
        const later = new Date(Date.now() + 7_200_000).toISOString();
        const none = await admin<HistoryBody>(
          "adm",
          "GET",
          `/api/v1/usage/acme/history?from=${later}`,
        );
        assert.deepEqual(none.body.points, []);
      });

      await t.step("an unknown tenant has empty usage, not an error", async () => {
        const none = await admin<UsageBody>("adm", "GET", "/api/v1/usage?tenant=nobody");
        assert.deepEqual(none.body, { tenants: [] });
        const h = await admin("adm", "GET", "/api/v1/usage/nobody/history");
        assert.deepEqual(h.body, { tenant: "nobody", bucket: "hour", points: [] } as Json);
      });

      await t.step("bad input is refused naming the field", async () => {
        const field = async (method: string, path: string, body: unknown, name: string) => {
          const r = await admin("adm", method, path, body);
          assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
          assert.deepEqual(r.body.details.map((d) => d.field), [name]);
          assert.match(r.body.error, new RegExp(name));
        };
        await field(
          "PUT",
          "/api/v1/quota/acme",
          { invocations_per_day: -1 },
          "invocations_per_day",
        );
        await field("PUT", "/api/v1/quota/acme", { cpu_ms_per_day: 1.5 }, "cpu_ms_per_day");
        await field("PUT", "/api/v1/quota/acme", { max_concurrent: "2" }, "max_concurrent");
        await field("PUT", "/api/v1/quota/acme", { warn_at: 2 }, "warn_at");
        await field("PUT", "/api/v1/quota/acme", { daily: 1 }, "daily");
        await field("PUT", "/api/v1/quota/acme", [1], "body");
        await field("GET", "/api/v1/usage/acme/history?bucket=week", undefined, "bucket");
        await field("GET", "/api/v1/usage?from=yesterday", undefined, "from");
        await field("GET", "/api/v1/usage?from=2026-01-02&to=2026-01-01", undefined, "from");
        assert.equal((await admin("adm", "GET", "/api/v1/quota/acme")).status, 404);
      });

      await t.step(
        "viewers read usage and quotas but cannot set them; runners see none",
        async () => {
          assert.equal((await admin(viewer, "GET", "/api/v1/usage")).status, 200);
          assert.equal((await admin(viewer, "GET", "/api/v1/quota")).status, 200);
          assert.equal((await admin(viewer, "PUT", "/api/v1/quota/acme", {})).status, 403);
          assert.equal((await admin(viewer, "DELETE", "/api/v1/quota/acme")).status, 403);
          assert.equal((await admin(acme, "GET", "/api/v1/usage")).status, 403);
          assert.equal((await admin(acme, "GET", "/api/v1/quota")).status, 403);
        },
      );

      await t.step("runs per day: warned, then 429 for the tenant alone", async () => {
        const put = await admin<QuotaBody>("adm", "PUT", "/api/v1/quota/beta", {
          invocations_per_day: 3,
          warn_at: 0.6,
        });
        assert.equal(put.status, 200);
        assert.deepEqual(put.body.limits, {
          invocations_per_day: 3,
          cpu_ms_per_day: null,
          max_concurrent: null,
          warn_at: 0.6,
        });
        const warnings = [];
        for (let i = 0; i < 3; i++) {
          const r = await run(server, beta, String(i));
          assert.equal(r.status, 200);
          warnings.push(r.headers.get("x-quota-warning"));
        }
        assert.deepEqual(warnings, [
          null,
          "invocations_per_day=2/3",
          "invocations_per_day=3/3",
        ]);
        const over = await run(server, beta, "4");
        assert.equal(over.status, 429);
        const midnight = Math.ceil((Date.now() + 1) / 86_400_000) * 86_400_000;
        assert.deepEqual(
          { ...over.body, error: undefined },
          {
            error: undefined,
            quota: "invocations_per_day",
            tenant: "beta",
            limit: 3,
            used: 3,
            reset_at: new Date(midnight).toISOString(),
          },
        );
        assert.match(over.body.error, /invocations_per_day is 3/);
        const retry = Number(over.headers.get("retry-after"));
        assert.ok(
          retry >= 1 && retry <= 86_400 && Math.abs(retry - (midnight - Date.now()) / 1000) < 5,
        );
        const job = await call(server, beta, "POST", "/jobs", { language: "python", code: "1" });
        assert.equal(job.status, 429);
        const piston = await call(server, beta, "POST", "/api/v2/execute", pistonRun("print(1)"));
        assert.equal(piston.status, 429);
        assert.equal(piston.body.quota, "invocations_per_day");
        assert.equal(piston.body.message, piston.body.error);
        assert.equal((await run(server, acme, "1")).status, 200, "other tenants unaffected");
        type List = { quotas: QuotaBody[] };
        const listed = (await admin<List>(viewer, "GET", "/api/v1/quota")).body.quotas;
        assert.deepEqual(listed.map((q) => q.tenant), ["beta"]);
        assert.deepEqual(listed[0].used, {
          invocations_per_day: 3,
          cpu_ms_per_day: listed[0].used.cpu_ms_per_day,
          max_concurrent: 0,
        });
        assert.equal(listed[0].percent.invocations_per_day, 100);
        assert.equal(listed[0].warning, true);
        const one = await admin<QuotaBody>("adm", "GET", "/api/v1/quota/beta");
        assert.deepEqual(one.body, listed[0]);
      });

      await t.step("quota changes are audited with before and after", async () => {
        const audit = await call<AuditBody>(
          server,
          "adm",
          "GET",
          "/api/v1/audit?action=quota.update",
        );
        const entry = audit.body.entries[0];
        assert.equal(entry.target, "beta");
        assert.equal(entry.before, null);
        assert.equal(entry.after.invocations_per_day, 3);
        const removed = await admin("adm", "DELETE", "/api/v1/quota/beta");
        assert.equal(removed.status, 200);
        assert.equal((await admin("adm", "DELETE", "/api/v1/quota/beta")).status, 404);
        assert.equal((await run(server, beta, "1")).status, 200, "no quota, no limit");
        const deleted = await call<AuditBody>(
          server,
          "adm",
          "GET",
          "/api/v1/audit?action=quota.delete",
        );
        assert.equal(deleted.body.entries[0].before?.invocations_per_day, 3);
      });

      await t.step("a batch counts each of its runs", async () => {
        await admin("adm", "PUT", "/api/v1/quota/gamma", { invocations_per_day: 2 });
        const runs = (n: number) =>
          Array.from({ length: n }, () => ({ language: "python", code: "1", tenant: "gamma" }));
        const three = await call(server, "run1", "POST", "/jobs", { runs: runs(3) });
        assert.equal(three.status, 429);
        assert.match(three.body.error, /a batch of 3 does not fit/);
        await jobs(server, "run1", { runs: runs(2) });
        assert.equal((await run(server, "run1", "1", { tenant: "gamma" })).status, 429);
      });

      await t.step("runs in progress: the second of two slow runs is refused", async () => {
        await admin("adm", "PUT", "/api/v1/quota/acme", { max_concurrent: 1 });
        const slow = "import time\ntime.sleep(1)";
        const both = await Promise.all([run(server, acme, slow), run(server, acme, slow)]);
        assert.deepEqual(both.map((r) => r.status).sort(), [200, 429]);
        const refused = both.find((r) => r.status === 429)!;
        assert.equal(refused.body.quota, "max_concurrent");
        assert.equal(refused.body.reset_at, null);
        assert.equal(refused.headers.get("retry-after"), "1");
        assert.equal((await run(server, acme, "1")).status, 200, "the slot is free again");
      });

      await t.step("every admin status seen is documented", async () => {
        await assertDocumented(server, seen);
      });

      await t.step("usage and quotas survive a restart", async () => {
        const before = await usageOf(server, "acme");
        await server.close();
        server = await startServer(env);
        const after = await usageOf(server, "acme");
        assert.equal(after.invocations, before.invocations);
        assert.equal(after.cpu_ms, before.cpu_ms);
        const q = await call<QuotaBody>(server, "adm", "GET", "/api/v1/quota/gamma");
        assert.equal(q.body.used.invocations_per_day, 2, "seeded from the day's usage");
        assert.equal((await run(server, "run1", "1", { tenant: "gamma" })).status, 429);
      });
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
