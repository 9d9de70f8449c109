/**
 * W3C Trace Context and OTLP export: the response names the request's span
 * in the caller's trace, the log line carries the trace id, and with an OTLP
 * endpoint set, a real OTLP/HTTP receiver on loopback gets the request span
 * with a child span per phase (parse, queue, start, run, reply).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP/HTTP receiver (JSON encoding) collecting every span it is sent. */
function otlpReceiver() {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.method !== "POST" || new URL(req.url).pathname !== "/v1/traces") {
      return new Response("not found", { status: 404 });
    }
    contentTypes.push(req.headers.get("content-type") ?? "");
    const body = await req.json();
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
    }
    return Response.json({});
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, spans, contentTypes, server };
}

const PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";

Deno.test({
  name: "requests join the caller's trace, and spans reach an OTLP receiver",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const receiver = otlpReceiver();
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: "sandbox-under-test",
    });
    let echoed = "";
    try {
      await t.step("the response's traceparent continues the caller's trace", async () => {
        const res = await fetch(`${server.url}/run_code`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`,
            tracestate: "vendor=1",
          },
          body: JSON.stringify({ language: "python", code: "6 * 7" }),
        });
        assert.equal((await res.json()).output.ret_val, "42");
        echoed = res.headers.get("traceparent") ?? "";
        const m = echoed.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/);
        assert.ok(m, echoed);
        assert.equal(m[1], PARENT_TRACE);
        assert.notEqual(m[2], PARENT_SPAN);
        assert.equal(res.headers.get("tracestate"), "vendor=1");
      });

      await t.step("without a valid traceparent a new trace starts", async () => {
        const res = await fetch(`${server.url}/health/live`, { headers: { traceparent: "junk" } });
        await res.body?.cancel();
        const m = (res.headers.get("traceparent") ?? "").match(
          /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/,
        );
        assert.ok(m);
        assert.notEqual(m[1], PARENT_TRACE);
      });

      await t.step(
        "the receiver gets the request span with one child per phase",
        async () => {
          const spanId = echoed.split("-")[2];
          let request: OtlpSpan | undefined;
          for (let i = 0; i < 100 && !request; i++) {
            await new Promise((r) => setTimeout(r, 100));
            request = receiver.spans.find((s) => s.spanId === spanId);
          }
          assert.ok(request, `span ${spanId} exported; got ${receiver.spans.length} spans`);
          assert.equal(request.traceId, PARENT_TRACE);
          assert.equal(request.parentSpanId, PARENT_SPAN);
          assert.equal(request.name, "POST /run_code");
          const attr = (s: OtlpSpan, key: string) =>
            s.attributes?.find((a) => a.key === key)?.value;
          assert.deepEqual(attr(request, "faas.status"), { stringValue: "success" });
          assert.deepEqual(attr(request, "http.response.status_code"), { intValue: 200 });
          let children: OtlpSpan[] = [];
          for (let i = 0; i < 50 && children.length < 5; i++) {
            children = receiver.spans.filter((s) => s.parentSpanId === spanId);
            if (children.length < 5) await new Promise((r) => setTimeout(r, 100));
          }
          assert.deepEqual(
            children.map((s) => s.name).sort(),
            ["parse", "queue", "reply", "run", "start"],
          );
          assert.ok(children.every((s) => s.traceId === PARENT_TRACE));
          assert.match(receiver.contentTypes[0], /application\/json/);
        },
      );
    } finally {
      await server.close();
      await receiver.server.shutdown();
    }
  },
});

Deno.test({
  name: "the run log line carries the trace id, without an exporter too",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const lines: string[] = [];
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_LOG_LEVEL: "info" });
    const log = console.log;
    console.log = (line: string) => lines.push(String(line));
    try {
      const res = await fetch(`${server.url}/run_code`, {
        method: "POST",
        headers: { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` },
        body: JSON.stringify({ language: "js", code: "return 1" }),
      });
      await res.body?.cancel();
      assert.match(res.headers.get("traceparent") ?? "", new RegExp(`^00-${PARENT_TRACE}-`));
      const run = lines.find((l) => l.includes("run finished"));
      assert.ok(run, lines.join("\n"));
      assert.match(run, new RegExp(`trace_id=${PARENT_TRACE}`));
    } finally {
      console.log = log;
      await server.close();
    }
  },
});
