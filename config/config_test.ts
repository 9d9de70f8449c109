import assert from "node:assert/strict";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "./config.ts";

Deno.test("config", async (t) => {
  await t.step("defaults apply to an empty environment", () => {
    const c = loadConfig({});
    assert.equal(c.port, 8000);
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.poolSize, 4);
    assert.equal(c.maxInstances, 8);
    assert.equal(c.defaultTimeoutMs, 30000);
    assert.equal(c.maxOutputBytes, 1024 * 1024);
    assert.equal(c.maxBodyBytes, 1024 * 1024);
    assert.equal(c.memoryLimitMb, 256);
    assert.ok(Object.isFrozen(c));
  });

  await t.step("reads every variable", () => {
    const c = loadConfig({
      FAAS_PORT: "9000",
      FAAS_HOST: "127.0.0.1",
      FAAS_POOL_SIZE: "6",
      FAAS_MAX_INSTANCES: "10",
      FAAS_TIMEOUT: "5000",
      FAAS_MAX_TIMEOUT: "60000",
      FAAS_MAX_QUEUE: "7",
      FAAS_MAX_RUNS: "3",
      FAAS_MAX_OUTPUT_BYTES: "100",
    });
    assert.deepEqual(
      [c.port, c.host, c.poolSize, c.maxInstances, c.defaultTimeoutMs, c.maxTimeoutMs],
      [9000, "127.0.0.1", 6, 10, 5000, 60000],
    );
    assert.deepEqual([c.maxQueue, c.maxRuns, c.maxOutputBytes], [7, 3, 100]);
  });

  for (
    const [name, value] of [
      ["FAAS_PORT", "http"],
      ["FAAS_PORT", "70000"],
      ["FAAS_POOL_SIZE", "1"],
      ["FAAS_TIMEOUT", "-5"],
      ["FAAS_TIMEOUT", "1.5"],
      ["FAAS_MAX_QUEUE", "lots"],
      ["FAAS_MEMORY_LIMIT_MB", "0"],
      ["FAAS_TRUSTED_TENANT_HEADER", "maybe"],
      ["FAAS_AUDIT_RUNS", "sometimes"],
    ]
  ) {
    await t.step(`rejects ${name}=${value} naming the variable`, () => {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name),
      );
    });
  }

  await t.step("rejects a pool larger than the instance cap", () => {
    assert.throws(
      () => loadConfig({ FAAS_POOL_SIZE: "6", FAAS_MAX_INSTANCES: "4" }),
      /FAAS_MAX_INSTANCES \(4\) must be at least FAAS_POOL_SIZE \(6\)/,
    );
  });

  await t.step("rejects a default timeout above the maximum", () => {
    assert.throws(
      () => loadConfig({ FAAS_TIMEOUT: "9000", FAAS_MAX_TIMEOUT: "1000" }),
      /FAAS_TIMEOUT/,
    );
  });

  await t.step("takes FAAS_WORKER_COUNT as the pool size when FAAS_POOL_SIZE is unset", () => {
    assert.equal(loadConfig({ FAAS_WORKER_COUNT: "6" }).poolSize, 6);
    assert.equal(loadConfig({ FAAS_WORKER_COUNT: "6", FAAS_POOL_SIZE: "2" }).poolSize, 2);
  });

  await t.step("warns that tenants are self-asserted without keys or a trusted source", () => {
    const selfAsserted = /Tenants are self-asserted/;
    assert.ok(loadConfig({}).notices.some((n) => selfAsserted.test(n)));
    assert.deepEqual(loadConfig({}).tenantSource, { from: "asserted" });
    const trusted = loadConfig({ FAAS_TRUSTED_TENANT_HEADER: "true" });
    assert.deepEqual(trusted.tenantSource, { from: "header", name: "X-Tenant-Id" });
    assert.ok(!trusted.notices.some((n) => selfAsserted.test(n)));
    const keyed = loadConfig({ FAAS_API_KEYS: "k1=0123456789abcdef" });
    assert.ok(!keyed.notices.some((n) => selfAsserted.test(n)));
  });

  await t.step("warns loudly when listening beyond loopback without keys", () => {
    const open = /beyond loopback WITHOUT API KEYS/;
    assert.ok(!loadConfig({}).notices.some((n) => open.test(n)), "the default is loopback");
    assert.ok(loadConfig({ FAAS_HOST: "0.0.0.0" }).notices.some((n) => open.test(n)));
    const keyed = loadConfig({ FAAS_HOST: "0.0.0.0", FAAS_API_KEYS: "k1=0123456789abcdef" });
    assert.ok(!keyed.notices.some((n) => open.test(n)));
  });

  await t.step("FAAS_TENANT_FROM names a header or a body field", () => {
    assert.deepEqual(loadConfig({ FAAS_TENANT_FROM: "header:X-Workspace" }).tenantSource, {
      from: "header",
      name: "X-Workspace",
    });
    assert.deepEqual(loadConfig({ FAAS_TENANT_FROM: "body:ext.space_id" }).tenantSource, {
      from: "body",
      path: ["ext", "space_id"],
    });
    for (const bad of ["ext.space_id", "body:", "body:a..b", "header:X Y", "cookie:x"]) {
      assert.throws(() => loadConfig({ FAAS_TENANT_FROM: bad }), /FAAS_TENANT_FROM must be/);
    }
    assert.throws(
      () =>
        loadConfig({ FAAS_TRUSTED_TENANT_HEADER: "true", FAAS_TENANT_FROM: "body:ext.space_id" }),
      /different tenant sources/,
    );
  });

  await t.step("FAAS_AUDIT_RUNS is off unless set; the variables set are known", () => {
    assert.equal(loadConfig({}).auditRuns, false);
    const c = loadConfig({ FAAS_AUDIT_RUNS: "yes", FAAS_PORT: " ", FAAS_TIMEOUT: "5000" });
    assert.equal(c.auditRuns, true);
    assert.deepEqual([...c.fromEnv].sort(), ["FAAS_AUDIT_RUNS", "FAAS_TIMEOUT"]);
  });

  await t.step("accepts and ignores FAAS_WORKSPACE", () => {
    assert.equal(loadConfig({ FAAS_WORKSPACE: "/srv/work" }).poolSize, 4);
  });

  await t.step("unset defaults are sized to the container's cgroup limits", () => {
    const root = Deno.makeTempDirSync({ prefix: "faas-cgroup-" });
    Deno.writeTextFileSync(`${root}/memory.max`, "1073741824\n");
    Deno.writeTextFileSync(`${root}/cpu.max`, "50000 100000\n");
    const sized = loadConfig({ FAAS_CGROUP_DIR: root });
    assert.equal(sized.poolSize, 2);
    assert.equal(sized.maxInstances, 2);
    assert.ok(sized.warmMemoryMb < 1024, `warm ${sized.warmMemoryMb}`);
    assert.equal(sized.cores, 1);
    assert.match(sized.containerSizing ?? "", /memory limit 1024 MiB/);
    const mine = loadConfig({ FAAS_CGROUP_DIR: root, FAAS_WARM_MEMORY_MB: "700" });
    assert.equal(mine.warmMemoryMb, 700, "an explicit value wins");
    const none = loadConfig({ FAAS_CGROUP_DIR: "/nonexistent" });
    assert.equal(none.warmMemoryMb, 2048);
    assert.equal(none.containerSizing, undefined);
  });

  await t.step("every configuration variable is documented in docs/configuration.md", () => {
    const doc = Deno.readTextFileSync(new URL("../docs/configuration.md", import.meta.url));
    assert.ok(CONFIG_VARIABLES.includes("FAAS_PORT"), "the list names the variables");
    const missing = CONFIG_VARIABLES.filter((name) => !doc.includes(`\`${name}\``));
    assert.deepEqual(missing, [], "variables docs/configuration.md does not name in backticks");
  });
});
