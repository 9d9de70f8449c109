/**
 * coze-loop's HTTP FaaS adapter decodes every reply into fixed Go types and
 * retries anything else (running the user's code again). Each fixture is a
 * request its adapter sends; the reply is decoded here with the types the
 * contract gives, as strictly as Go's decoder would, then compared.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

interface Case {
  name: string;
  request: Record<string, unknown>;
  expect: { stdout: string; stderr?: string; ret_val: string; stderr_includes?: string };
}

const fixtures = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/coze_loop.json", import.meta.url)),
) as { cases: Case[] };

/** Go's `int64`/`int`: a JSON number without a fraction. */
function goInt(value: unknown, field: string): number {
  assert.ok(Number.isSafeInteger(value), `${field} must decode as a Go integer, got ${value}`);
  return value as number;
}

function goString(value: unknown, field: string): string {
  assert.equal(typeof value, "string", `${field} must decode as a Go string`);
  return value as string;
}

/** The adapter's response struct, decoded field by field. */
function decodeRunReply(body: Record<string, unknown>) {
  const output = body.output as Record<string, unknown>;
  const metadata = body.metadata as Record<string, unknown>;
  const pool = metadata.pool_stats as Record<string, unknown>;
  if ("error" in body) goString(body.error, "error");
  if ("details" in body) goString(body.details, "details");
  return {
    stdout: goString(output.stdout, "output.stdout"),
    stderr: goString(output.stderr, "output.stderr"),
    retVal: goString(output.ret_val, "output.ret_val"),
    taskId: goString(metadata.task_id, "metadata.task_id"),
    instanceId: goString(metadata.instance_id, "metadata.instance_id"),
    duration: goInt(metadata.duration, "metadata.duration"),
    pool: [
      goInt(pool.totalInstances, "pool_stats.totalInstances"),
      goInt(pool.idleInstances, "pool_stats.idleInstances"),
      goInt(pool.activeInstances, "pool_stats.activeInstances"),
    ],
  };
}

Deno.test({
  name: "coze-loop's adapter decodes every reply with the contract's types",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    try {
      for (const c of fixtures.cases) {
        await t.step(c.name, async () => {
          const res = await fetch(`${server.url}/run_code`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(c.request),
          });
          // Anything but 200 is a retry for the adapter.
          assert.equal(res.status, 200);
          const body = await res.json();
          const reply = decodeRunReply(body);
          assert.equal(reply.stdout, c.expect.stdout);
          assert.equal(reply.retVal, c.expect.ret_val);
          if (c.expect.stderr !== undefined) assert.equal(reply.stderr, c.expect.stderr);
          if (c.expect.stderr_includes) {
            assert.ok(
              reply.stderr.includes(c.expect.stderr_includes),
              `stderr ${JSON.stringify(reply.stderr)} lacks ${c.expect.stderr_includes}`,
            );
          }
          assert.equal(reply.duration, Math.round(body.metadata.duration_ms));
        });
      }

      await t.step("/health: healthy, with the contract's fields", async () => {
        const res = await fetch(`${server.url}/health`);
        assert.equal(res.status, 200);
        const body = await res.json();
        assert.equal(body.status, "healthy");
        goString(body.timestamp, "timestamp");
        goString(body.version, "version");
        for (const field of ["totalInstances", "idleInstances", "activeInstances"]) {
          goInt(body.pool[field], `pool.${field}`);
        }
      });
    } finally {
      await server.close();
    }
  },
});
