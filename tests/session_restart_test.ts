/**
 * Sessions live in the memory of the service: the service-wide cap refuses
 * one more with 503, and after a restart a session made before it answers
 * 404 saying so.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

const create = (url: string) =>
  fetch(`${url}/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ language: "python" }),
  }).then(async (r) => ({ status: r.status, body: await r.json() }));

Deno.test("the session cap answers 503, and sessions do not outlive a restart", async (t) => {
  const dir = await Deno.makeTempDir();
  const env = { FAAS_MAX_SESSIONS: "1", FAAS_JOB_STORE: `${dir}/jobs.sqlite` };
  let server = await startServer(env);
  try {
    const first = await create(server.url);
    assert.equal(first.status, 201);
    const id = first.body.id as string;

    await t.step("past FAAS_MAX_SESSIONS a new session is refused with 503", async () => {
      const second = await create(server.url);
      assert.equal(second.status, 503);
      assert.match(second.body.error, /FAAS_MAX_SESSIONS/);
    });

    await t.step("after a restart the session is gone, and the answer says why", async () => {
      const run = await fetch(`${server.url}/sessions/${id}/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "x = 1" }),
      });
      assert.equal(run.status, 200);
      await run.body?.cancel();
      await server.close();
      server = await startServer(env);
      const after = await fetch(`${server.url}/sessions/${id}/run`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ code: "x" }),
      });
      assert.equal(after.status, 404);
      assert.match((await after.json()).error, /do not survive a restart/);
      // The cap counts live sessions only: a new one fits again.
      assert.equal((await create(server.url)).status, 201);
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
