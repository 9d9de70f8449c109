/**
 * The HTTP contract: validation and error shapes, aliases, defaults, the
 * health and metrics routes, and JSON 404/405. Route-level checks use Hono's
 * app.request() on a real service; the rest go through a real server.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../config/config.ts";
import { createService } from "../service/service.ts";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "run_code validates every field",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_TIMEOUT: "5000",
      FAAS_MAX_TIMEOUT: "8000",
      FAAS_MAX_BODY_BYTES: "4096",
    });
    const post = (body: unknown) => server.run(body);

    const invalid: [string, unknown, string, RegExp][] = [
      ["missing language", { code: "1" }, "language", /required/],
      [
        "unknown language",
        { language: "cobol", code: "1" },
        "language",
        /Unsupported language "cobol"/,
      ],
      ["language not a string", { language: 3, code: "1" }, "language", /string/],
      ["missing code", { language: "python" }, "code", /required/],
      ["empty code", { language: "python", code: "" }, "code", /empty/],
      ["zero timeout", { language: "python", code: "1", timeout: 0 }, "timeout", /positive/],
      ["negative timeout", { language: "python", code: "1", timeout: -10 }, "timeout", /positive/],
      ["text timeout", { language: "python", code: "1", timeout: "soon" }, "timeout", /positive/],
      ["boolean timeout", { language: "python", code: "1", timeout: true }, "timeout", /number/],
      [
        "unknown priority",
        { language: "python", code: "1", priority: "asap" },
        "priority",
        /urgent, high, normal, low/,
      ],
      ["stdin not a string", { language: "python", code: "1", stdin: ["a"] }, "stdin", /string/],
    ];
    for (const [name, body, field, message] of invalid) {
      await t.step(`${name} → 400 naming ${field}`, async () => {
        const { status, body: res } = await post(body);
        assert.equal(status, 400);
        assert.match(res.error ?? "", new RegExp(field));
        const detail = res.details?.find((d) => d.field === field);
        assert.ok(detail, JSON.stringify(res));
        assert.match(detail.message, message);
      });
    }

    await t.step("several invalid fields are all reported", async () => {
      const { body } = await post({ language: "x", code: "", priority: "now" });
      assert.deepEqual(body.details?.map((d) => d.field).sort(), ["code", "language", "priority"]);
    });

    await t.step("a huge invalid value is not echoed back whole", async () => {
      const { status, body } = await post({ language: "x".repeat(3000), code: "1" });
      assert.equal(status, 400);
      assert.ok(JSON.stringify(body).length < 1000, `${JSON.stringify(body).length} bytes`);
    });

    for (
      const [alias, language] of [
        ["python", "python"],
        ["PY", "python"],
        ["Python3", "python"],
        ["javascript", "javascript"],
        ["JS", "javascript"],
        ["node", "javascript"],
        ["typescript", "typescript"],
        ["Ts", "typescript"],
      ]
    ) {
      await t.step(`language alias ${alias} runs as ${language}`, async () => {
        const code = language === "python" ? "1 + 1" : "return 1 + 1";
        const { status, body } = await post({ language: alias, code });
        assert.equal(status, 200);
        assert.equal(body.metadata.language, language);
        assert.equal(body.output.ret_val, "2");
      });
    }

    await t.step("unknown fields are accepted and ignored", async () => {
      const { status, body } = await post({
        language: "python",
        code: "1",
        ext: { space_id: "1" },
        whatever: [1, 2],
      });
      assert.equal(status, 200);
      assert.equal(body.output.ret_val, "1");
    });

    await t.step("priority is case-insensitive and every class runs", async () => {
      for (const priority of ["urgent", "HIGH", "normal", "Low"]) {
        const { status } = await post({ language: "js", code: "return 1", priority });
        assert.equal(status, 200);
      }
    });

    await t.step("the default timeout applies when none is given", async () => {
      const { body } = await post({ language: "python", code: "1" });
      assert.equal(body.metadata.timeout_ms, 5000);
      assert.equal(body.metadata.timeout_clamped, false);
    });

    await t.step("a timeout above the maximum is clamped and says so", async () => {
      const { body } = await post({ language: "python", code: "1", timeout: 60000 });
      assert.equal(body.metadata.timeout_ms, 8000);
      assert.equal(body.metadata.timeout_clamped, true);
    });

    await t.step("a numeric string timeout is accepted", async () => {
      const { body } = await post({ language: "python", code: "1", timeout: "2500.5" });
      assert.equal(body.metadata.timeout_ms, 2501);
    });

    await t.step("a body over the limit → 413", async () => {
      const { status, body } = await post({ language: "python", code: "#" + "x".repeat(5000) });
      assert.equal(status, 413);
      assert.match(body.error ?? "", /4096 bytes/);
    });

    await t.step("invalid JSON → 400 naming body", async () => {
      const { status, body } = await post("{nope");
      assert.equal(status, 400);
      assert.equal(body.details?.[0].field, "body");
    });

    await t.step("unknown routes → JSON 404", async () => {
      const res = await fetch(`${server.url}/nope`);
      assert.equal(res.status, 404);
      assert.match((await res.json()).error, /No route for GET \/nope/);
    });

    for (
      const [method, path, allow] of [
        ["GET", "/run_code", "POST"],
        ["PUT", "/run_code", "POST"],
        ["POST", "/health", "GET, HEAD"],
        ["DELETE", "/metrics", "GET, HEAD"],
      ]
    ) {
      await t.step(`${method} ${path} → JSON 405 with Allow`, async () => {
        const res = await fetch(`${server.url}${path}`, { method });
        assert.equal(res.status, 405);
        assert.equal(res.headers.get("allow"), allow);
        assert.match((await res.json()).error, /not allowed/);
      });
    }

    await t.step("GET / points API clients and browsers to the docs and health", async () => {
      const json = await fetch(`${server.url}/`);
      assert.equal(json.status, 200);
      const doc = await json.json();
      assert.equal(doc.docs, "/docs");
      assert.equal(doc.health, "/health");
      assert.equal(doc.run, "POST /run_code");
      const page = await fetch(`${server.url}/`, { headers: { accept: "text/html" } });
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      const html = await page.text();
      assert.match(html, /href="\/docs"/);
      assert.match(html, /href="\/health"/);
      assert.equal((await fetch(`${server.url}/`, { method: "POST" })).status, 405);
    });

    await t.step("/health reports pools and scheduler", async () => {
      const res = await fetch(`${server.url}/health`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.status, "healthy");
      assert.match(body.version, /^\d+\.\d+\.\d+$/);
      assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
      assert.equal(typeof body.uptime_s, "number");
      for (const runtime of ["python", "javascript"]) {
        const pool = body.pools[runtime];
        assert.deepEqual(
          Object.keys(pool).filter((k) => ["total", "idle", "busy", "starting"].includes(k)).sort(),
          ["busy", "idle", "starting", "total"],
        );
        assert.equal(pool.total, 1);
      }
      assert.deepEqual(Object.keys(body.scheduler.queued), ["urgent", "high", "normal", "low"]);
      assert.ok(body.scheduler.completed > 10);
      assert.equal(typeof body.scheduler.failed, "number");
      assert.ok(body.scheduler.mean_execution_ms > 0);
    });

    await t.step("/health/live answers 200", async () => {
      const res = await fetch(`${server.url}/health/live`);
      assert.equal(res.status, 200);
      assert.equal((await res.json()).status, "alive");
    });

    await t.step("/metrics exposes every family with live values", async () => {
      await post({ language: "python", code: "1/0" });
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
      const text = await res.text();
      for (
        const family of [
          "faas_runs_total",
          "faas_run_duration_seconds",
          "faas_queue_wait_seconds",
          "faas_queue_depth",
          "faas_instances",
          "faas_hosts",
          "faas_instances_dropped_total",
          "faas_instance_starts_total",
          "faas_instance_recycles_total",
          "faas_rejections_total",
          "faas_http_requests_total",
          "faas_run_cpu_seconds",
          "faas_run_memory_bytes",
          "process_cpu_seconds_total",
          "process_resident_memory_bytes",
        ]
      ) {
        assert.match(text, new RegExp(`^# TYPE ${family} `, "m"), family);
      }
      assert.match(text, /faas_runs_total\{language="python",status="error"\} 1/);
      assert.match(text, /faas_hosts\{language="python",state="idle"\} 1/);
      // The failed run's code has an instance of its own now; its host is
      // starting (or has) a spare in place of the one the run took.
      assert.match(text, /faas_instances\{language="python",state="keyed"\} [1-9]/);
      assert.match(text, /faas_instances\{language="python",state="(spare|starting)"\} 1/);
      assert.match(
        text,
        /faas_http_requests_total\{route="\/run_code",method="POST",status="400"\} \d+/,
      );
      assert.match(
        text,
        /faas_http_requests_total\{route="\/run_code",method="POST",status="413"\} 1/,
      );
    });

    await t.step("/metrics values are true: process, hosts, build, bounded labels", async () => {
      await fetch(`${server.url}/run_code`, { method: "FOO" }).then((r) => r.body?.cancel());
      await fetch(`${server.url}/no/such/route`, { method: "GET" }).then((r) => r.body?.cancel());
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const value = (pattern: RegExp) => Number(text.match(pattern)?.[1]);
      // Checked against the kernel's own figures (ps reads /proc).
      const psRss = async (pids: number[]) => {
        const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", pids.join(",")] })
          .output();
        return new TextDecoder().decode(out.stdout).trim().split(/\s+/).map(Number)
          .reduce((a, b) => a + b, 0) * 1024;
      };
      const rss = value(/^process_resident_memory_bytes (\S+)$/m);
      const real = await psRss([Deno.pid]);
      assert.ok(Math.abs(rss - real) < real * 0.25, `RSS ${rss} vs ps ${real}`);
      assert.ok(value(/^process_cpu_seconds_total (\S+)$/m) > 0);
      assert.ok(value(/^process_start_time_seconds (\S+)$/m) > Date.now() / 1000 - 3600);
      assert.doesNotMatch(text, /nodejs_|process_heap_bytes|process_open_fds/);
      // Host processes: one live Python host of about its real size.
      // Hosts report every second, so a host that just grew (a spare
      // starting) is compared again on its next report.
      const hostFigures = async () => {
        const now = await (await fetch(`${server.url}/metrics`)).text();
        const rss = Number(
          now.match(/^faas_host_resident_memory_bytes\{language="python"\} (\S+)$/m)?.[1],
        );
        return [rss, await psRss(server.service.pools.python.hosts().map((h) => h.pid))];
      };
      let [hostRss, hostPs] = await hostFigures();
      for (let i = 0; i < 4 && Math.abs(hostRss - hostPs) >= hostPs * 0.3; i++) {
        await new Promise((r) => setTimeout(r, 1100));
        [hostRss, hostPs] = await hostFigures();
      }
      assert.ok(hostRss > 50 * 2 ** 20, `python hosts ${hostRss}`);
      assert.ok(Math.abs(hostRss - hostPs) < hostPs * 0.3, `hosts ${hostRss} vs ps ${hostPs}`);
      assert.ok(value(/^faas_host_cpu_seconds\{language="python"\} (\S+)$/m) > 0.1);
      assert.match(
        text,
        /faas_instance_start_seconds_count\{language="python",kind="spare"\} [1-9]/,
      );
      assert.match(
        text,
        new RegExp(
          `faas_build_info\\{version="[^"]+",deno="${Deno.version.deno}",pyodide="314[^"]*",python="3\\.\\d+\\.\\d+"\\} 1`,
        ),
      );
      // Run durations are bucketed up to the longest allowed run (FAAS_MAX_TIMEOUT, 8 s here).
      assert.match(text, /faas_run_duration_seconds_bucket\{le="8",language="python"\}/);
      assert.doesNotMatch(text, /faas_run_duration_seconds_bucket\{le="10",/);
      assert.match(
        text,
        /faas_http_requests_total\{route="\/run_code",method="other",status="405"\} 1/,
      );
      assert.doesNotMatch(text, /method="FOO"/);
      assert.match(
        text,
        /faas_http_requests_total\{route="unmatched",method="GET",status="404"\} [1-9]/,
      );
    });

    await server.close();
  },
});

Deno.test({
  name: "/health answers 503 while starting and run_code refuses with Retry-After",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const service = createService(loadConfig({ FAAS_POOL_SIZE: "2" }));
    const res = await service.app.request("/health");
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "starting");
    assert.ok(body.pools.python);
    const run = await service.app.request("/run_code", {
      method: "POST",
      body: JSON.stringify({ language: "python", code: "1" }),
    });
    assert.equal(run.status, 503);
    assert.equal(run.headers.get("retry-after"), "1");
    await service.ready();
    assert.equal((await service.app.request("/health")).status, 200);
    await service.shutdown(0);
  },
});
