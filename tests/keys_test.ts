/**
 * Isolation keys through the API: which runs share an instance, how the
 * tenant is given and validated, eviction under the memory budget, spares,
 * and a host kill costing only the run it was running.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";

async function metrics(server: TestServer): Promise<string> {
  return await (await fetch(`${server.url}/metrics`)).text();
}

const idOf = (r: { body: { metadata: Record<string, unknown> } }) =>
  String(r.body.metadata.instance_id);

Deno.test({
  name: "isolation keys decide which runs share an instance",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });

    await t.step("code mode: the same snippet reuses its warm instance", async () => {
      const code = "return INPUT * 2";
      const a = await server.run({ language: "js", code, input: 1 });
      const b = await server.run({ language: "js", code, input: 2 });
      assert.equal(b.body.output.ret_val, "4");
      assert.equal(idOf(a), idOf(b));
      assert.equal(b.body.metadata.instance_source, "warm");
    });

    await t.step("code mode: other code, or another tenant, never shares", async () => {
      const a = await server.run({ language: "python", code: "INPUT", input: 1 });
      const other = await server.run({ language: "python", code: "INPUT + 0", input: 1 });
      const tenant = await server.run({
        language: "python",
        code: "INPUT",
        input: 1,
        tenant: "t2",
      });
      const ids = new Set([idOf(a), idOf(other), idOf(tenant)]);
      assert.equal(ids.size, 3, [...ids].join(" "));
    });

    await t.step("a new key takes the ready spare, which is then replaced", async () => {
      // Give the host time to have its spare ready.
      await new Promise((r) => setTimeout(r, 1500));
      const r = await server.run({ language: "js", code: `return "${crypto.randomUUID()}"` });
      assert.equal(r.body.metadata.instance_source, "spare");
      let spare = 0;
      for (let i = 0; i < 50 && spare === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const h = await (await fetch(`${server.url}/health`)).json();
        spare = h.pools.javascript.instances.spare;
      }
      assert.equal(spare, 1);
    });

    await t.step("the tenant comes from the field or X-Tenant-Id; the field wins", async () => {
      const code = "return 1";
      const header = await server.run({ language: "js", code }, {
        headers: { "content-type": "application/json", "x-tenant-id": "acme" },
      });
      const field = await server.run({ language: "js", code, tenant: "acme" });
      assert.equal(idOf(header), idOf(field));
      const both = await server.run({ language: "js", code, tenant: "other" }, {
        headers: { "content-type": "application/json", "x-tenant-id": "acme" },
      });
      assert.notEqual(idOf(both), idOf(field));
    });

    await t.step("an invalid tenant is a 400 naming the field or header", async () => {
      for (const tenant of ["", "x".repeat(129), "tab\there", 42]) {
        const r = await server.run({ language: "js", code: "return 1", tenant });
        assert.equal(r.status, 400, JSON.stringify(tenant));
        assert.equal(r.body.details?.[0].field, "tenant");
      }
      const r = await server.run({ language: "js", code: "return 1" }, {
        headers: { "content-type": "application/json", "x-tenant-id": "x".repeat(129) },
      });
      assert.equal(r.status, 400);
      assert.equal(r.body.details?.[0].field, "X-Tenant-Id");
    });

    await t.step("ret_val is capped like stdout and flagged truncated", async () => {
      const cap = server.config.maxOutputBytes;
      for (
        const [language, code] of [
          ["python", `"y" * ${cap * 3}`],
          ["javascript", `return "y".repeat(${cap * 3})`],
        ]
      ) {
        const { body } = await server.run({ language, code });
        assert.equal(body.metadata.status, "success");
        assert.equal(body.output.ret_val.length, cap);
        assert.equal(body.metadata.truncated, true);
      }
    });

    await server.close();
  },
});

Deno.test({
  name: "tenant and run modes key by tenant or by run",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await t.step("tenant mode: one tenant shares across snippets; none gets its own", async () => {
      const server = await startServer({
        FAAS_POOL_SIZE: "2",
        FAAS_MAX_INSTANCES: "2",
        FAAS_ISOLATION: "tenant",
      });
      try {
        const a = await server.run({ language: "js", code: "return 1", tenant: "acme" });
        const b = await server.run({ language: "js", code: "return 2", tenant: "acme" });
        assert.equal(idOf(a), idOf(b));
        const c = await server.run({ language: "js", code: "return 1" });
        const d = await server.run({ language: "js", code: "return 1" });
        assert.notEqual(idOf(c), idOf(d));
        assert.notEqual(idOf(c), idOf(a));
      } finally {
        await server.close();
      }
    });

    await t.step("run mode: every run gets a fresh instance, dropped after", async () => {
      const server = await startServer({
        FAAS_POOL_SIZE: "2",
        FAAS_MAX_INSTANCES: "2",
        FAAS_ISOLATION: "run",
      });
      try {
        const ids = new Set<string>();
        for (let i = 0; i < 3; i++) {
          ids.add(idOf(await server.run({ language: "js", code: "return 1", tenant: "acme" })));
        }
        assert.equal(ids.size, 3);
        assert.match(
          await metrics(server),
          /faas_instances_dropped_total\{language="javascript",reason="single_use"\} 3/,
        );
      } finally {
        await server.close();
      }
    });
  },
});

Deno.test({
  name: "idle instances are evicted least recently used first under the memory budget",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // The smallest budget: a couple of Python instances already exceed it.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_WARM_MEMORY_MB: "256",
    });
    try {
      const first = await server.run({ language: "python", code: "1", tenant: "a" });
      for (const tenant of ["b", "c", "d"]) {
        await server.run({ language: "python", code: "1", tenant });
      }
      const recent = await server.run({ language: "python", code: "1", tenant: "d" });
      await new Promise((r) => setTimeout(r, 2500));
      assert.match(
        await metrics(server),
        /faas_instances_dropped_total\{language="python",reason="evicted"\} [1-9]/,
      );
      // The oldest key lost its instance, not the most recent one.
      const again = await server.run({ language: "python", code: "1", tenant: "a" });
      assert.notEqual(idOf(again), idOf(first));
      const h = await (await fetch(`${server.url}/health`)).json();
      assert.ok(h.pools.python.instances.keyed <= 2, JSON.stringify(h.pools.python));
      assert.notEqual(recent.body.metadata.status, undefined);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "a host kill costs only the run it was running",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    try {
      // Warm instances of two other keys on the same host.
      for (const tenant of ["a", "b"]) {
        const r = await server.run({ language: "python", code: "INPUT", input: 1, tenant });
        assert.equal(r.body.output.ret_val, "1");
      }
      // Let the host's spare finish starting, so the next run is running,
      // not waiting for its instance, when the host is killed.
      for (let i = 0; i < 50; i++) {
        const h = await (await fetch(`${server.url}/health`)).json();
        if (h.pools.python.instances.spare === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // A run of a third key holds the only Python host; one of "a" queues.
      const doomed = server.run({
        language: "python",
        code: "import time\ntime.sleep(10)",
        tenant: "x",
        timeout: 20000,
      });
      let host;
      for (let i = 0; i < 100 && !host; i++) {
        await new Promise((r) => setTimeout(r, 20));
        host = server.service.pools.python.hosts().find((h) => h.state === "busy");
      }
      assert.ok(host, "a busy host");
      const queued = server.run({ language: "python", code: "INPUT", input: 3, tenant: "a" });
      await new Promise((r) => setTimeout(r, 100));
      Deno.kill(host.pid, "SIGKILL");
      assert.equal((await doomed).body.metadata.status, "killed");
      const q = await queued;
      assert.equal(q.body.metadata.status, "success", JSON.stringify(q.body).slice(0, 300));
      assert.equal(q.body.output.ret_val, "3");
      for (const tenant of ["a", "b"]) {
        const r = await server.run({ language: "python", code: "INPUT", input: 2, tenant });
        assert.equal(r.body.metadata.status, "success", JSON.stringify(r.body).slice(0, 300));
        assert.equal(r.body.output.ret_val, "2");
      }
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "a run whose instance dies while starting goes to another instance",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // No spares: a new key starts its own instance, holding the host.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_SPARES_PER_HOST: "0",
    });
    try {
      const pending = server.run({ language: "python", code: "INPUT * 2", input: 21, tenant: "n" });
      let host;
      for (let i = 0; i < 200 && !host; i++) {
        await new Promise((r) => setTimeout(r, 5));
        host = server.service.pools.python.hosts().find((h) => h.state === "busy");
      }
      assert.ok(host, "a host held for the starting instance");
      Deno.kill(host.pid, "SIGKILL");
      const r = await pending;
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.metadata.status, "success", JSON.stringify(r.body).slice(0, 300));
      assert.equal(r.body.output.ret_val, "42");
      assert.notEqual(r.body.metadata.instance_id, undefined);
      assert.ok(!String(r.body.metadata.instance_id).startsWith(`${host.id}/`));
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "with a trusted tenant header, the gateway's X-Tenant-Id alone names the tenant",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ISOLATION: "tenant",
      FAAS_TRUSTED_TENANT_HEADER: "true",
    });
    const as = (tenant: string | undefined, body: Record<string, unknown>) =>
      server.run(body, {
        headers: {
          "content-type": "application/json",
          ...(tenant !== undefined && { "x-tenant-id": tenant }),
        },
      });
    try {
      await t.step("a body tenant naming another tenant is a 403 naming the field", async () => {
        // The victim's instance holds a secret its next runs could read.
        const victim = await as("alice", {
          language: "python",
          code: "import builtins\nbuiltins.secret = INPUT\n1",
          input: "SECRET-alice",
        });
        assert.equal(victim.status, 200);
        const attacker = await as("mallory", {
          language: "python",
          code: "import builtins\ngetattr(builtins, 'secret', 'none')",
          tenant: "alice",
        });
        assert.equal(attacker.status, 403);
        assert.equal(attacker.body.details?.[0].field, "tenant");
        assert.match(attacker.body.error ?? "", /tenant/);
        assert.ok(!JSON.stringify(attacker.body).includes("SECRET-alice"));
      });

      await t.step("a body tenant without the header is refused too", async () => {
        const r = await as(undefined, { language: "js", code: "return 1", tenant: "alice" });
        assert.equal(r.status, 403);
        assert.equal(r.body.details?.[0].field, "tenant");
      });

      await t.step("the header decides; a body tenant equal to it is accepted", async () => {
        const a = await as("bob", { language: "js", code: "return 1" });
        const b = await as("bob", { language: "js", code: "return 2", tenant: "bob" });
        const other = await as("carol", { language: "js", code: "return 3" });
        assert.deepEqual([a.status, b.status, other.status], [200, 200, 200]);
        assert.equal(idOf(a), idOf(b));
        assert.notEqual(idOf(a), idOf(other));
      });
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "with the tenant taken from ext.space_id, a workspace's items share warm instances",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ISOLATION: "tenant",
      FAAS_TENANT_FROM: "body:ext.space_id",
    });
    // An evaluator item as its platform sends it: the item's data in the code.
    const item = (space: string | undefined, n: number, extra: Record<string, unknown> = {}) =>
      server.run({
        language: "python",
        code:
          `data = {"output": "${n}", "reference": "${n}"}\nint(data["output"] == data["reference"])`,
        priority: "normal",
        ...(space !== undefined && { ext: { space_id: space } }),
        ...extra,
      });
    try {
      await t.step("one workspace's items share a warm instance; others never", async () => {
        const first = await item("7420", 1);
        const second = await item("7420", 2);
        const other = await item("9999", 3);
        for (const r of [first, second, other]) {
          assert.equal(r.status, 200);
          assert.equal(r.body.output.ret_val, "1");
        }
        assert.equal(idOf(first), idOf(second));
        assert.equal(second.body.metadata.instance_source, "warm");
        assert.notEqual(idOf(other), idOf(first));
        // The field the tenant comes from is read, not ignored.
        assert.deepEqual(second.body.metadata.ignored_fields, []);
      });

      await t.step("a request without the field is a 400 naming it", async () => {
        const r = await item(undefined, 4);
        assert.equal(r.status, 400);
        assert.equal(r.body.details?.[0].field, "ext.space_id");
      });

      await t.step("a tenant field or header naming another workspace is a 403", async () => {
        const field = await item("7420", 5, { tenant: "9999" });
        assert.equal(field.status, 403);
        assert.equal(field.body.details?.[0].field, "tenant");
        const header = await server.run({
          language: "python",
          code: "1",
          ext: { space_id: "7420" },
        }, { headers: { "content-type": "application/json", "x-tenant-id": "9999" } });
        assert.equal(header.status, 403);
        assert.equal(header.body.details?.[0].field, "X-Tenant-Id");
      });
    } finally {
      await server.close();
    }
  },
});
