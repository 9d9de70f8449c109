/**
 * Streaming output: `POST /run_code` with `Accept: text/event-stream` sends
 * `stdout`/`stderr` events while the code runs, then one `result` event with
 * the usual body; output caps apply to the stream; a client that hangs up
 * stops the run.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { readEvents, type SseEvent } from "./helpers/sse.ts";

/** Posts `body` asking for events; collects them (until `stopAfter` events, if given). */
async function events(url: string, body: unknown, stopAfter?: number): Promise<SseEvent[]> {
  const controller = new AbortController();
  const started = performance.now();
  const res = await fetch(`${url}/run_code`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  return await readEvents(res, started, stopAfter, () => controller.abort());
}

Deno.test({
  name: "run_code streams output as Server-Sent Events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_OUTPUT_BYTES: "64" });
    try {
      await t.step("python: chunks arrive while the code runs, then the result", async () => {
        const got = await events(server.url, {
          language: "python",
          code: "import sys, time\nprint('one', flush=True)\ntime.sleep(0.6)\n" +
            "print('oops', file=sys.stderr)\nprint('two')\n42",
        });
        const result = got.at(-1)!;
        assert.equal(result.event, "result");
        const body = JSON.parse(result.data);
        assert.equal(body.output.ret_val, "42");
        assert.equal(body.output.stdout, "one\ntwo\n");
        const first = got.find((e) => e.event === "stdout")!;
        assert.equal(JSON.parse(first.data), "one\n");
        // The first chunk came well before the run ended.
        assert.ok(first.at < result.at - 400, `first ${first.at} ms, result ${result.at} ms`);
        const stdout = got.filter((e) => e.event === "stdout").map((e) => JSON.parse(e.data)).join(
          "",
        );
        const stderr = got.filter((e) => e.event === "stderr").map((e) => JSON.parse(e.data)).join(
          "",
        );
        assert.equal(stdout, "one\ntwo\n");
        assert.equal(stderr, "oops\n");
      });

      await t.step("javascript: the same, across timers", async () => {
        const got = await events(server.url, {
          language: "javascript",
          code:
            "console.log('a'); await new Promise((r) => setTimeout(r, 500)); console.log('b'); return 1",
        });
        const stdout = got.filter((e) => e.event === "stdout");
        assert.equal(JSON.parse(stdout[0].data), "a\n");
        assert.ok(stdout[0].at < got.at(-1)!.at - 300);
        assert.equal(JSON.parse(got.at(-1)!.data).output.ret_val, "1");
      });

      await t.step("the output cap applies to the stream too", async () => {
        const got = await events(server.url, { language: "python", code: "print('x' * 1000)" });
        const streamed = got.filter((e) => e.event === "stdout").map((e) => JSON.parse(e.data))
          .join("");
        assert.equal(streamed.length, 64);
        assert.equal(JSON.parse(got.at(-1)!.data).metadata.truncated, true);
      });

      await t.step("a bad request is an ordinary JSON 400", async () => {
        const res = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: { accept: "text/event-stream" },
          body: JSON.stringify({ language: "python", code: "" }),
        });
        assert.equal(res.status, 400);
        assert.equal((await res.json()).details[0].field, "code");
      });

      await t.step("a client that hangs up stops the run", async () => {
        const got = await events(server.url, {
          language: "python",
          code: "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)",
          timeout: 20000,
        }, 2);
        assert.equal(got[0].event, "stdout");
        let idle = false;
        for (let i = 0; i < 50 && !idle; i++) {
          await new Promise((r) => setTimeout(r, 100));
          idle = server.service.pools.python.hosts().every((h) => h.state !== "busy");
        }
        assert.ok(idle, "the run was stopped");
      });
    } finally {
      await server.close();
    }
  },
});
