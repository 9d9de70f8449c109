/** Judge0 submissions are runs of their tenant: its quota admits them like any job. */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const ADMIN = "judge0-quota-admin";

Deno.test("a tenant's quota holds for its Judge0 submissions", async () => {
  const server = await startServer({ FAAS_ADMIN_KEYS: ADMIN });
  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  try {
    const made = await call("POST", "/api/v1/keys", ADMIN, {
      tenant: "judged",
      role: "runner",
      name: "judge",
    });
    const key = made.body.key as string;
    const quota = await call("PUT", "/api/v1/quota/judged", ADMIN, { invocations_per_day: 2 });
    assert.equal(quota.status, 200);
    const submission = { language_id: 71, source_code: "print(1)" };
    assert.equal((await call("POST", "/submissions", key, submission)).status, 201);
    const batch = await call("POST", "/submissions/batch", key, {
      submissions: [submission, submission],
    });
    assert.equal(batch.status, 429);
    assert.equal(batch.body.quota, "invocations_per_day");
    assert.ok(Number(batch.headers.get("retry-after")) > 0);
    assert.equal((await call("POST", "/submissions", key, submission)).status, 201);
    const over = await call("POST", "/submissions?wait=true", key, submission);
    assert.equal(over.status, 429);
  } finally {
    await server.close();
  }
});
