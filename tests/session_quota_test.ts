/** A session's runs are its tenant's runs: counted in usage and admitted against its quota. */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const ADMIN = "session-quota-admin";

Deno.test("a tenant's usage and quota cover its session runs", async () => {
  const server = await startServer({ FAAS_ADMIN_KEYS: ADMIN });
  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  try {
    const made = await call("POST", "/api/v1/keys", ADMIN, {
      tenant: "notebooks",
      role: "runner",
      name: "agent",
    });
    const key = made.body.key as string;
    assert.equal(
      (await call("PUT", "/api/v1/quota/notebooks", ADMIN, { invocations_per_day: 2 })).status,
      200,
    );
    const session = await call("POST", "/sessions", key, { language: "python" });
    assert.equal(session.status, 201);
    const run = (code: string) => call("POST", `/sessions/${session.body.id}/run`, key, { code });
    assert.equal((await run("x = 20")).status, 200);
    const second = await run("x + 22");
    assert.equal(second.body.output.ret_val, "42");
    const third = await run("x");
    assert.equal(third.status, 429);
    assert.equal(third.body.quota, "invocations_per_day");
    // Usage is written within a second.
    await new Promise((r) => setTimeout(r, 1500));
    const usage = await call("GET", "/api/v1/usage?tenant=notebooks", ADMIN);
    assert.equal(usage.body.tenants[0].invocations, 2);
    assert.equal((await call("DELETE", `/sessions/${session.body.id}`, key)).status, 204);
  } finally {
    await server.close();
  }
});
