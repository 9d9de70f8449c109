/**
 * The admin API's keys, roles and audit log, against real servers: every
 * role against every route, bad input, a restart, and two replicas on one
 * Redis.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { startRedis } from "./helpers/redis.ts";

const ADMIN = "admin-secret-1";
const RUNNER = "flat-runner-1";

interface Call {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  server: TestServer,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Call> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(key !== undefined && { authorization: `Bearer ${key}` }),
      ...(body !== undefined && { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function makeKey(server: TestServer, role: string, tenant: string, name = role) {
  const made = await call(server, "POST", "/api/v1/keys", ADMIN, { tenant, role, name });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body as { id: string; key: string; tenant: string; role: string };
}

const fieldsOf = (c: Call) =>
  ((c.body.details ?? []) as { field: string }[]).map((d) => d.field).sort();

Deno.test("admin API: keys, roles and the audit log", async (t) => {
  const dir = await Deno.makeTempDir();
  const env = {
    FAAS_ADMIN_KEYS: ADMIN,
    FAAS_API_KEYS: RUNNER,
    FAAS_JOB_STORE: `${dir}/jobs.db`,
  };
  let server = await startServer(env);
  try {
    const viewer = await makeKey(server, "viewer", "ops");
    const runner = await makeKey(server, "runner", "acme", "acme ci");

    await t.step("a new key answers 201 with its secret once; listings never show it", async () => {
      assert.match(runner.id, /^key_[0-9a-f]{16}$/);
      assert.match(runner.key, /^fsk_[\w-]{40,}$/);
      assert.equal(runner.tenant, "acme");
      const list = await call(server, "GET", "/api/v1/keys", ADMIN);
      assert.equal(list.status, 200);
      const text = JSON.stringify(list.body);
      assert.ok(!text.includes(runner.key), "secret listed");
      const keys = list.body.keys as { id: string; source: string; role: string }[];
      assert.deepEqual(
        keys.map((k) => [k.role, k.source]),
        [
          ["admin", "FAAS_ADMIN_KEYS"],
          ["runner", "FAAS_API_KEYS"],
          ["viewer", "api"],
          ["runner", "api"],
        ],
      );
      assert.doesNotMatch(text, /hash/);
    });

    await t.step("each role against each admin route", async () => {
      const routes: [string, string, unknown?][] = [
        ["GET", "/api/v1/keys"],
        ["POST", "/api/v1/keys", { tenant: "x", role: "runner", name: "n" }],
        ["DELETE", "/api/v1/keys/key_0000000000000000"],
        ["GET", "/api/v1/audit"],
        ["GET", "/api/v1/audit/actions"],
      ];
      const expected: Record<string, (method: string) => number> = {
        admin: (m) => m === "POST" ? 201 : m === "DELETE" ? 404 : 200,
        viewer: (m) => m === "GET" ? 200 : 403,
        runner: () => 403,
        flat: () => 403,
        none: () => 401,
        wrong: () => 401,
      };
      const keys: Record<string, string | undefined> = {
        admin: ADMIN,
        viewer: viewer.key,
        runner: runner.key,
        flat: RUNNER,
        none: undefined,
        wrong: "not-a-key",
      };
      for (const [who, key] of Object.entries(keys)) {
        for (const [method, path, body] of routes) {
          const res = await call(server, method, path, key, body);
          assert.equal(res.status, expected[who](method), `${who} ${method} ${path}`);
          if (res.status === 403) assert.deepEqual(fieldsOf(res), ["Authorization"]);
        }
      }
    });

    await t.step(
      "viewer keys cannot run code; runner keys can, with X-Auth-Token too",
      async () => {
        const run = { language: "javascript", code: "return 6 * 7" };
        assert.equal((await call(server, "POST", "/run_code", viewer.key, run)).status, 403);
        const byBearer = await call(server, "POST", "/run_code", runner.key, run);
        assert.equal(byBearer.status, 200);
        const byToken = await call(server, "POST", "/run_code", undefined, run, {
          "x-auth-token": runner.key,
        });
        assert.equal(byToken.status, 200);
        assert.equal((byToken.body.output as { ret_val: string }).ret_val, "42");
      },
    );

    await t.step("a runner key's runs belong to its tenant: naming another is 403", async () => {
      const code = { language: "javascript", code: "return 1" };
      const own = await call(server, "POST", "/run_code", runner.key, { ...code, tenant: "acme" });
      assert.equal(own.status, 200);
      const other = await call(server, "POST", "/run_code", runner.key, {
        ...code,
        tenant: "globex",
      });
      assert.equal(other.status, 403);
      assert.deepEqual(fieldsOf(other), ["tenant"]);
      const byHeader = await call(server, "POST", "/run_code", runner.key, code, {
        "x-tenant-id": "globex",
      });
      assert.equal(byHeader.status, 403);
      assert.deepEqual(fieldsOf(byHeader), ["X-Tenant-Id"]);
      const job = await call(server, "POST", "/jobs", runner.key, { ...code, tenant: "globex" });
      assert.equal(job.status, 403);
      // A flat FAAS_API_KEYS key still names tenants within its own namespace.
      const flat = await call(server, "POST", "/run_code", RUNNER, { ...code, tenant: "any" });
      assert.equal(flat.status, 200);
    });

    await t.step("bad input names the field", async () => {
      const bad = await call(server, "POST", "/api/v1/keys", ADMIN, {
        tenant: "",
        role: "root",
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(fieldsOf(bad), ["name", "role", "tenant"]);
      const notJson = await fetch(`${server.url}/api/v1/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
        body: "{",
      });
      assert.equal(notJson.status, 400);
      await notJson.body?.cancel();
      const malformed = await call(server, "DELETE", "/api/v1/keys/..%2F..%2Fetc", ADMIN);
      assert.equal(malformed.status, 400);
      assert.deepEqual(fieldsOf(malformed), ["id"]);
      const configured = await call(server, "DELETE", "/api/v1/keys/" + "x".repeat(0), ADMIN);
      assert.ok([404, 405].includes(configured.status));
      const flatId = ((await call(server, "GET", "/api/v1/keys", ADMIN)).body.keys as {
        id: string;
        source: string;
      }[]).find((k) => k.source === "FAAS_API_KEYS")!.id;
      const conflict = await call(server, "DELETE", `/api/v1/keys/${flatId}`, ADMIN);
      assert.equal(conflict.status, 409);
      const huge = await call(server, "GET", "/api/v1/audit?per_page=100000", ADMIN);
      assert.equal(huge.status, 400);
      assert.deepEqual(fieldsOf(huge), ["per_page"]);
      const when = await call(server, "GET", "/api/v1/audit?from=yesterday", ADMIN);
      assert.deepEqual(fieldsOf(when), ["from"]);
      const format = await call(server, "GET", "/api/v1/audit?format=xml", ADMIN);
      assert.deepEqual(fieldsOf(format), ["format"]);
    });

    await t.step("a revoked key is refused from its next request", async () => {
      const doomed = await makeKey(server, "runner", "acme", "doomed");
      const run = { language: "javascript", code: "return 1" };
      assert.equal((await call(server, "POST", "/run_code", doomed.key, run)).status, 200);
      const revoked = await call(server, "DELETE", `/api/v1/keys/${doomed.id}`, ADMIN);
      assert.equal(revoked.status, 200);
      assert.equal(revoked.body.revoked, true);
      assert.equal((await call(server, "POST", "/run_code", doomed.key, run)).status, 401);
      assert.equal((await call(server, "DELETE", `/api/v1/keys/${doomed.id}`, ADMIN)).status, 404);
    });

    await t.step(
      "the audit log records admin actions and refused calls, as JSON or CSV",
      async () => {
        // Refused calls are written in batches.
        await new Promise((r) => setTimeout(r, 400));
        const all = await call(server, "GET", "/api/v1/audit?per_page=500", ADMIN);
        const entries = all.body.entries as {
          action: string;
          actor: string;
          role: string;
          outcome: string;
          target: string;
          before?: { id: string };
          after?: { id: string };
          request_id: string;
        }[];
        const created = entries.filter((e) => e.action === "key.create");
        // viewer, runner, the one of the role check, and the revoked one.
        assert.equal(created.length, 4);
        assert.ok(created.every((e) => e.role === "admin" && e.outcome === "ok" && e.request_id));
        const revoke = entries.find((e) => e.action === "key.revoke")!;
        assert.ok(revoke.before?.id && revoke.target === revoke.before.id);
        const refused = entries.filter((e) => e.outcome === "refused");
        assert.ok(refused.some((e) => e.actor === viewer.id && e.action === "POST /api/v1/keys"));
        assert.ok(refused.some((e) => e.actor === "" && e.action === "GET /api/v1/audit"));
        assert.ok(!JSON.stringify(entries).includes(runner.key), "a secret in the audit log");

        const onlyRevokes = await call(
          server,
          "GET",
          "/api/v1/audit?action=key.revoke",
          viewer.key,
        );
        assert.equal(onlyRevokes.body.total, 1);
        const byActor = await call(server, "GET", `/api/v1/audit?actor=${viewer.id}`, ADMIN);
        assert.ok(
          (byActor.body.entries as { actor: string }[]).every((e) => e.actor === viewer.id),
        );
        const future = await call(
          server,
          "GET",
          `/api/v1/audit?from=${Date.now() + 60_000}`,
          ADMIN,
        );
        assert.equal(future.body.total, 0);

        const csv = await fetch(`${server.url}/api/v1/audit?format=csv&action=key.create`, {
          headers: { authorization: `Bearer ${ADMIN}` },
        });
        assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
        const lines = (await csv.text()).trim().split("\r\n");
        assert.equal(
          lines[0],
          "time,actor,role,action,target,outcome,request_id,reason,before,after",
        );
        assert.equal(lines.length, 5);
        assert.ok(lines.slice(1).every((l) => l.includes('"key.create"')));

        const actions = await call(server, "GET", "/api/v1/audit/actions", viewer.key);
        assert.ok((actions.body.actions as string[]).includes("key.revoke"));
      },
    );

    await t.step("keys and the audit log survive a restart", async () => {
      await server.close();
      server = await startServer(env);
      const run = { language: "javascript", code: "return 2" };
      assert.equal((await call(server, "POST", "/run_code", runner.key, run)).status, 200);
      const audit = await call(server, "GET", "/api/v1/audit?action=key.create", ADMIN);
      assert.equal(audit.body.total, 4);
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without FAAS_ADMIN_KEYS the admin API is off", async () => {
  const server = await startServer({ FAAS_API_KEYS: RUNNER });
  try {
    const res = await call(server, "GET", "/api/v1/keys", RUNNER);
    assert.equal(res.status, 403);
    assert.match(String(res.body.error), /FAAS_ADMIN_KEYS/);
  } finally {
    await server.close();
  }
});

Deno.test("two replicas on one Redis share keys and revocations", async () => {
  const redis = await startRedis();
  const env = {
    FAAS_ADMIN_KEYS: ADMIN,
    FAAS_JOB_STORE: redis.url,
    FAAS_POOL_SIZE: "2",
    FAAS_MAX_INSTANCES: "2",
  };
  const a = await startServer(env);
  const b = await startServer(env);
  try {
    const made = await makeKey(a, "runner", "shared");
    const run = { language: "javascript", code: "return 3" };
    assert.equal((await call(b, "POST", "/run_code", made.key, run)).status, 200);
    assert.equal((await call(a, "DELETE", `/api/v1/keys/${made.id}`, ADMIN)).status, 200);
    assert.equal((await call(b, "POST", "/run_code", made.key, run)).status, 401);
    const audit = await call(b, "GET", "/api/v1/audit?action=key.revoke", ADMIN);
    assert.equal(audit.body.total, 1);
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
