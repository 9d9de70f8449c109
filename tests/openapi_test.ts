/**
 * The OpenAPI document covers every route and every status the app really
 * returns: each is triggered for real, then looked up in the document.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config/config.ts";
import { Logger } from "../core/log.ts";
import { createService } from "../service/service.ts";

const quiet = () => new Logger("error", "json", () => {});

Deno.test({
  name: "openapi.json documents every route and status the app returns",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const key = "k-" + crypto.randomUUID();
    const service = createService(
      loadConfig({
        FAAS_POOL_SIZE: "2",
        FAAS_MAX_INSTANCES: "2",
        FAAS_MAX_QUEUE: "0",
        FAAS_MAX_BODY_BYTES: "2048",
        FAAS_API_KEYS: key,
      }),
      quiet(),
    );
    const starting = createService(loadConfig({ FAAS_POOL_SIZE: "2" }), quiet());
    const seen: [string, number][] = [];
    const hit = async (app: typeof service.app, path: string, init: RequestInit = {}) => {
      const res = await app.request(path, init);
      await res.body?.cancel();
      seen.push([path, res.status]);
      return res.status;
    };
    const run = (body: string, auth = true): RequestInit => ({
      method: "POST",
      body,
      headers: auth ? { authorization: `Bearer ${key}` } : undefined,
    });

    await t.step("trigger every status", async () => {
      assert.equal(await hit(starting.app, "/health"), 503);
      assert.equal(await hit(starting.app, "/run_code", run('{"language":"py","code":"1"}')), 503);
      await service.ready();
      assert.equal(await hit(service.app, "/run_code", run('{"language":"py","code":"1"}')), 200);
      assert.equal(await hit(service.app, "/run_code", run('{"language":"py"}')), 400);
      const made = await service.app.request("/sessions", run('{"language":"py"}'));
      seen.push(["/sessions", made.status]);
      const sid = (await made.json()).id;
      const authed = { headers: { authorization: `Bearer ${key}` } };
      assert.equal(await hit(service.app, `/sessions/${sid}/run`, run('{"code":"x = 1"}')), 200);
      assert.equal(await hit(service.app, `/sessions/${sid}`, authed), 200);
      assert.equal(await hit(service.app, "/sessions", authed), 200);
      assert.equal(
        await hit(service.app, `/sessions/${sid}`, { method: "DELETE", ...authed }),
        204,
      );
      assert.equal(await hit(service.app, `/sessions/${sid}`, authed), 404);
      assert.equal(
        await hit(service.app, "/run_code", run('{"language":"py","code":"1"}', false)),
        401,
      );
      assert.equal(await hit(service.app, "/run_code", run("x".repeat(4096))), 413);
      assert.equal(
        await hit(service.app, "/run_code", {
          method: "GET",
          headers: { authorization: `Bearer ${key}` },
        }),
        405,
      );
      const busy = service.app.request(
        "/run_code",
        run('{"language":"py","code":"import time\\ntime.sleep(0.3)"}'),
      );
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(await hit(service.app, "/run_code", run('{"language":"py","code":"1"}')), 429);
      await (await busy).body?.cancel();
      // The admin API is off without FAAS_ADMIN_KEYS, and never for runner keys.
      const runner = { headers: { authorization: `Bearer ${key}` } };
      assert.equal(await hit(service.app, "/api/v1/dlq", runner), 403);
      assert.equal(await hit(service.app, "/api/v1/dlq/stats", runner), 403);
      for (
        const path of ["/health", "/health/live", "/metrics", "/openapi.json", "/docs", "/runtimes"]
      ) {
        assert.equal(await hit(service.app, path), 200, path);
      }
      // The Judge0 routes, with the header Judge0 clients send their key in.
      const judge0 = (path: string, method = "GET", body?: string) =>
        hit(service.app, path, { method, body, headers: { "x-auth-token": key } });
      assert.equal(await judge0("/languages"), 200);
      assert.equal(await judge0("/languages/71"), 200);
      assert.equal(await judge0("/languages/1"), 404);
      assert.equal(await judge0("/statuses"), 200);
      assert.equal(await judge0("/languages/all"), 200);
      assert.equal(await judge0("/about"), 200);
      assert.equal(await judge0("/config_info"), 200);
      // Submissions made here are waited for: the one instance must be free again below.
      const queued: string[] = [];
      const submit = async (path: string, body: string) => {
        const res = await service.app.request(path, {
          method: "POST",
          body,
          headers: { "x-auth-token": key },
        });
        seen.push([path, res.status]);
        const answer = await res.json();
        queued.push(...[answer].flat().map((s: { token: string }) => s.token));
        return res.status;
      };
      const submission = '{"language_id":71,"source_code":"print(1)"}';
      assert.equal(await submit("/submissions", submission), 201);
      assert.equal(await judge0("/submissions", "POST", '{"language_id":1}'), 400);
      assert.equal(await hit(service.app, "/submissions", run(submission, false)), 401);
      assert.equal(await judge0("/submissions/nope"), 404);
      assert.equal(await judge0("/submissions/nope?fields=nope"), 400);
      assert.equal(
        await submit("/submissions/batch", `{"submissions":[${submission}]}`),
        201,
      );
      assert.equal(await judge0("/submissions/batch", "POST", '{"submissions":[]}'), 400);
      assert.equal(await judge0("/submissions/batch?tokens=a,b"), 200);
      assert.equal(await judge0("/submissions/batch"), 400);
      for (const token of queued) await judge0(`/jobs/${token}?wait=10`);
    });

    const res = await service.app.request("/openapi.json");
    const doc = await res.json();

    await t.step("the document is OpenAPI 3.1 and every $ref resolves", () => {
      assert.equal(doc.openapi, "3.1.0");
      const refs = JSON.stringify(doc).match(/"#\/components\/schemas\/(\w+)"/g) ?? [];
      assert.ok(refs.length > 0);
      for (const ref of refs) {
        const name = ref.slice(ref.lastIndexOf("/") + 1, -1);
        assert.ok(doc.components.schemas[name], name);
      }
      assert.deepEqual(doc.components.schemas.RunRequest.required, ["language", "code"]);
      assert.equal(doc.components.securitySchemes.bearerAuth.scheme, "bearer");
      assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    });

    await t.step("operations have ids, enums, a numeric timeout and examples", async () => {
      const methods = new Set(["get", "post", "put", "patch", "delete", "head"]);
      const ids = Object.values(doc.paths).flatMap((ops) =>
        Object.entries(ops as Record<string, { operationId?: string }>)
          .filter(([method]) => methods.has(method)).map(([, op]) => op.operationId)
      );
      assert.ok(ids.every((id) => typeof id === "string" && id.length > 0), String(ids));
      assert.equal(new Set(ids).size, ids.length);
      const req = doc.components.schemas.RunRequest;
      assert.ok(req.properties.language.enum.includes("python"));
      assert.ok(req.properties.language.enum.includes("ts"));
      assert.deepEqual(req.properties.priority.enum, ["urgent", "high", "normal", "low"]);
      assert.equal(req.properties.timeout.type, "number");
      assert.doesNotMatch(JSON.stringify(doc), /9007199254740991/);
      // The examples are real: the request example runs and answers in the documented shape.
      const example = doc.paths["/run_code"].post.responses["200"].content["application/json"]
        .example;
      const ran = await (await service.app.request("/run_code", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(req.example),
      })).json();
      if (!ran.output) console.log("DBG", JSON.stringify(ran));
      assert.deepEqual(Object.keys(ran.output).sort(), Object.keys(example.output).sort());
      assert.deepEqual(Object.keys(ran.metadata).sort(), Object.keys(example.metadata).sort());
      assert.equal(ran.output.ret_val, example.output.ret_val);
      assert.equal(ran.output.stdout, example.output.stdout);
    });

    await t.step("every route and status seen is documented", () => {
      // A path as the document names it: its query cut, its ids as templates.
      const template = (path: string) =>
        path.replace(/\?.*$/, "").replace(/^\/languages\/[^/]+$/, "/languages/{id}")
          .replace(/^\/submissions\/(?!batch$)[^/]+$/, "/submissions/{token}")
          .replace(/^\/jobs\/[^/]+$/, "/jobs/{id}")
          .replace(/^\/sessions\/[^/]+$/, "/sessions/{id}")
          .replace(/^\/sessions\/[^/]+\/run$/, "/sessions/{id}/run");
      for (const [seenPath, status] of seen) {
        const path = template(seenPath);
        const ops = Object.values(doc.paths[path] ?? {}) as {
          responses: Record<string, unknown>;
        }[];
        assert.ok(ops.length > 0, `${path} is not documented`);
        assert.ok(
          ops.some((op) => op.responses !== undefined && String(status) in op.responses),
          `${path} answered ${status}, which is not documented`,
        );
      }
    });

    await t.step("the docs page loads the document and can run code", async () => {
      const html = await (await service.app.request("/docs")).text();
      assert.match(html, /url: "openapi.json"/);
      for (const asset of html.match(/(?:src|href)="(docs\/[^"]+)"/g) ?? []) {
        const path = "/" + asset.split('"')[1];
        const res = await service.app.request(path);
        assert.equal(res.status, 200, path);
        assert.ok((await res.arrayBuffer()).byteLength > 10_000, path);
      }
      assert.notEqual((await service.app.request("/docs/../deno.json")).status, 200);
      assert.equal((await service.app.request("/docs/nope.js")).status, 404);
    });

    await service.shutdown(0);
    await starting.shutdown(0);
  },
});
