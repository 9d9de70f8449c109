/**
 * Structured logs and request ids: one JSON line per run with the fields an
 * operator needs, the caller's data only at debug level, and X-Request-Id
 * read or generated and echoed.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config/config.ts";
import { Logger } from "../core/log.ts";
import { createService } from "../service/service.ts";

async function withService(
  level: "info" | "debug",
  fn: (
    request: (init: RequestInit & { path?: string }) => Promise<Response>,
    lines: Record<string, unknown>[],
  ) => Promise<void>,
): Promise<void> {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger(level, "json", (line) => lines.push(JSON.parse(line)));
  const service = createService(loadConfig({ FAAS_POOL_SIZE: "2" }), logger);
  await service.ready();
  try {
    await fn(
      (init) => Promise.resolve(service.app.request(init.path ?? "/run_code", init)),
      lines,
    );
  } finally {
    await service.shutdown(0);
  }
}

const secretCode = "print('SECRET-OUTPUT')\n'SECRET-RET'";
const post = (headers: Record<string, string> = {}) => ({
  method: "POST",
  headers,
  body: JSON.stringify({ language: "python", code: secretCode, input: { token: "SECRET-INPUT" } }),
});

Deno.test({
  name: "each run logs one structured line without the caller's data",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await withService("info", async (request, lines) => {
      await t.step("a valid X-Request-Id is echoed and logged", async () => {
        const res = await request(post({ "x-request-id": "req-123" }));
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-request-id"), "req-123");
        const body = await res.json();
        const runs = lines.filter((l) => l.msg === "run finished");
        assert.equal(runs.length, 1);
        const line = runs[0];
        assert.equal(line.level, "info");
        assert.equal(line.request_id, "req-123");
        assert.equal(line.task_id, body.metadata.task_id);
        assert.equal(line.language, "python");
        assert.equal(line.status, "success");
        assert.equal(line.instance, body.metadata.instance_id);
        assert.equal(typeof line.queue_ms, "number");
        assert.equal(typeof line.duration_ms, "number");
        assert.equal(line.code_bytes, new TextEncoder().encode(secretCode).length);
        assert.match(String(line.code_sha256), /^[0-9a-f]{16}$/);
        assert.ok(!JSON.stringify(lines).includes("SECRET"), "no code, input or output at info");
      });

      await t.step("a missing or invalid request id is replaced by a generated one", async () => {
        const cases: Record<string, string>[] = [
          {},
          { "x-request-id": "has space" },
          { "x-request-id": "x".repeat(200) },
        ];
        for (const headers of cases) {
          const res = await request(post(headers));
          await res.body?.cancel();
          assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
        }
      });

      await t.step("every route echoes the request id", async () => {
        const res = await request({ path: "/health", headers: { "x-request-id": "h-1" } });
        await res.body?.cancel();
        assert.equal(res.headers.get("x-request-id"), "h-1");
      });
    });
  },
});

Deno.test({
  name: "debug level logs the code, input and output",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withService("debug", async (request, lines) => {
      const res = await request(post());
      await res.body?.cancel();
      const line = lines.find((l) => l.msg === "run finished")!;
      assert.equal(line.code, secretCode);
      assert.match(String(line.input), /SECRET-INPUT/);
      assert.equal(line.stdout, "SECRET-OUTPUT\n");
      assert.equal(line.ret_val, "SECRET-RET");
    });
  },
});
