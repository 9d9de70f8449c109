/**
 * Settings through the admin API, against a real service on a SQLite file:
 * every setting grouped with its source and secrets masked; runtime
 * settings changed, applied, audited and kept across a restart; start-up
 * settings, bad values and unknown keys refused.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { adminApi } from "./helpers/admin_api.ts";

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
