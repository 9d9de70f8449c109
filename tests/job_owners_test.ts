/**
 * A job belongs to the API key and the tenant that submitted it: another
 * tenant (with or without keys) cannot read, stream, cancel, retry or list
 * it, nor reach it through its Idempotency-Key; without API keys nobody can
 * list jobs. Per-key limits still hold across the tenants of a key.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { jobsApi } from "./helpers/jobs_api.ts";
import { SqliteJobStore } from "../jobs/sqlite_store.ts";

Deno.test({
  name: "without API keys a tenant's job is reachable only by that tenant, and only by id",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const dir = Deno.makeTempDirSync({ prefix: "faas-owners-" });
    const path = `${dir}/jobs.sqlite`;
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_JOB_STORE: path });
    const alice = jobsApi(server, { "x-tenant-id": "alice" });
    const mallory = jobsApi(server, { "x-tenant-id": "mallory" });
    const nobody = jobsApi(server);
    const order = { "idempotency-key": "order-1" };
    try {
      const original = {
        language: "javascript",
        code: "await new Promise((r) => setTimeout(r, 1500)); return 'secret:' + INPUT",
        input: "s3cr3t",
      };
      const sub = await alice.submit(original, order);
      assert.equal(sub.status, 202);
      const id: string = sub.body.id;

      await t.step("another tenant cannot read, stream or cancel it", async () => {
        for (const other of [mallory, nobody]) {
          const got = await other.get(id);
          assert.equal(got.status, 404);
          assert.deepEqual(got.body, { error: `No job "${id}"` });
          assert.doesNotMatch(JSON.stringify(got.body), /s3cr3t/);
          assert.equal((await other.get(id, 1)).status, 404);
          const events = await other.events(id);
          assert.equal(events.status, 404);
          assert.doesNotMatch(await events.text(), /s3cr3t/);
          assert.equal((await other.cancel(id)).status, 404);
          assert.equal((await other.retry(id)).status, 404);
        }
      });

      await t.step("nobody can list jobs without API keys", async () => {
        for (const caller of [mallory, alice, nobody]) {
          const listed = await caller.list("queued");
          assert.equal(listed.status, 403);
          assert.match(listed.body.error, /Listing jobs needs an API key/);
          assert.equal(listed.body.details[0].field, "Authorization");
          assert.match(listed.body.details[0].message, /FAAS_API_KEYS/);
          assert.equal(listed.body.jobs, undefined);
        }
      });

      await t.step("the same Idempotency-Key from another tenant makes its own job", async () => {
        const theirs = await mallory.submit({ language: "javascript", code: "return 1" }, order);
        assert.equal(theirs.status, 202);
        assert.notEqual(theirs.body.id, id);
        const again = await mallory.submit({ language: "javascript", code: "return 1" }, order);
        assert.equal(again.body.id, theirs.body.id);
        assert.equal((await mallory.settle(theirs.body.id)).status, "done");
        assert.equal((await alice.get(theirs.body.id)).status, 404);
      });

      await t.step("the tenant itself reads it, whole and untouched", async () => {
        const done = await alice.settle(id);
        assert.equal(done.status, "done");
        assert.equal(done.attempts, 1);
        assert.equal(done.result!.output.ret_val, "secret:s3cr3t");
        assert.equal((await alice.submit(original, order)).body.id, id);
        // The body's tenant field and the header name the same owner.
        const byField = await nobody.submit({
          language: "javascript",
          code: "return 2",
          tenant: "alice",
        });
        assert.equal((await alice.settle(byField.body.id)).status, "done");
      });

      await t.step("another tenant cannot retry it once dead", async () => {
        // Declared dead through a second connection to the service's store.
        const store = new SqliteJobStore(path);
        try {
          assert.ok(await store.finish(id, ["done"], "dead", Date.now(), { error: "test" }));
        } finally {
          await store.close();
        }
        assert.equal((await mallory.retry(id)).status, 404);
        assert.equal((await alice.get(id)).body.status, "dead");
        assert.equal((await alice.retry(id)).status, 202);
        assert.equal((await alice.settle(id)).result!.output.ret_val, "secret:s3cr3t");
      });
    } finally {
      await server.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "two tenants under one API key are separate owners sharing the key's limits",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_API_KEYS: "key-a",
      FAAS_KEY_MAX_CONCURRENT: "1",
    });
    const auth = { authorization: "Bearer key-a" };
    const one = jobsApi(server, { ...auth, "x-tenant-id": "t1" });
    const two = jobsApi(server, { ...auth, "x-tenant-id": "t2" });
    const keyOnly = jobsApi(server, auth);
    const sleeper = (tag: string) => ({
      language: "python",
      code: `import time\ntime.sleep(0.5)\n'${tag}'`,
    });
    try {
      const order = { "idempotency-key": "order-1" };
      // Named in the body: reading it takes the header naming the same tenant.
      const sub = await keyOnly.submit({ ...sleeper("one"), tenant: "t1" }, order);
      assert.equal(sub.status, 202);
      const theirs = await two.submit(sleeper("two"), order);
      assert.notEqual(theirs.body.id, sub.body.id);

      await t.step("each tenant reads and lists only its own jobs", async () => {
        for (const other of [two, keyOnly]) {
          assert.equal((await other.get(sub.body.id)).status, 404);
          assert.equal((await other.cancel(sub.body.id)).status, 404);
        }
        const mine = await one.settle(sub.body.id);
        const other = await two.settle(theirs.body.id);
        assert.deepEqual([mine.status, other.status], ["done", "done"]);
        const listed = async (api: typeof one) =>
          (await api.list("done")).body.jobs.map((j: { id: string }) => j.id);
        assert.deepEqual(await listed(one), [sub.body.id]);
        assert.deepEqual(await listed(two), [theirs.body.id]);
        assert.deepEqual(await listed(keyOnly), []);
        // The key's one run at a time held across its tenants.
        const at = (iso: string | null) => Date.parse(iso!);
        assert.ok(
          at(other.started_at) >= at(mine.finished_at) ||
            at(mine.started_at) >= at(other.finished_at),
          JSON.stringify([mine, other]),
        );
      });

      await t.step("a batch naming two tenants is refused, naming the entry", async () => {
        const mixed = await one.submit({
          runs: [{ language: "js", code: "1" }, { language: "js", code: "2", tenant: "t2" }],
        });
        assert.equal(mixed.status, 400);
        assert.deepEqual(mixed.body.details.map((d: { field: string }) => d.field), [
          "runs.1.tenant",
        ]);
        assert.match(mixed.body.details[0].message, /tenant of runs\.0 \("t1"\), not "t2"/);
        assert.deepEqual((await one.list("queued")).body.jobs, []);
      });
    } finally {
      await server.close();
    }
  },
});
