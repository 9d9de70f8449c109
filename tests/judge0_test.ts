/**
 * The Judge0 CE API end to end, against a real server with API keys:
 * languages and statuses, submissions waited for and polled, base64 both
 * ways, every status a run can come to, arguments and additional files,
 * field selection, batches, and ownership by API key (the submission
 * being a job like any other).
 */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { startServer } from "./helpers/server.ts";

/** A Judge0 submission as answered, loosely typed for assertions. */
interface Submission {
  token: string;
  stdout: string | null;
  stderr: string | null;
  compile_output: string | null;
  message: string | null;
  exit_code?: number | null;
  status: { id: number; description: string };
  time: string | null;
  memory: number | null;
  [field: string]: unknown;
}

const b64 = (text: string) => new TextEncoder().encode(text).toBase64();
const unb64 = (text: string) => new TextDecoder().decode(Uint8Array.fromBase64(text));

Deno.test({
  name: "Judge0 CE submissions run as jobs and answer in Judge0's form",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_API_KEYS: "k1,k2",
      FAAS_KEY_RUNS_PER_MINUTE: "1000",
      // A run whose host dies is dead at once.
      FAAS_JOB_MAX_ATTEMPTS: "1",
    });
    const call = async (
      method: string,
      path: string,
      body?: unknown,
      token: string | null = "k1",
    ) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          ...(token !== null && { "x-auth-token": token }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    };
    /** POST /submissions?wait=true&<query>: the finished submission. */
    const run = async (submission: Record<string, unknown>, query = "") => {
      const res = await call("POST", `/submissions?wait=true${query}`, submission);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as Submission;
    };
    const poll = async (token: string, query = "") => {
      for (let i = 0; i < 200; i++) {
        const res = await call("GET", `/submissions/${token}${query}`);
        assert.equal(res.status, 200);
        if (res.body.status.id > 2) return res.body as Submission;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`submission ${token} never finished`);
    };
    try {
      await t.step("languages and statuses list Judge0's ids", async () => {
        const languages = (await call("GET", "/languages")).body as { id: number; name: string }[];
        const ids = languages.map((l) => l.id);
        for (const id of [71, 92, 100, 63, 93, 97, 102, 74, 94, 101]) assert.ok(ids.includes(id));
        const name = (id: number) => languages.find((l) => l.id === id)!.name;
        assert.match(name(71), /^Python \(3\.\d+\.\d+, Pyodide [\d.]+\)$/);
        assert.match(name(63), /^JavaScript \(Deno \d+\.\d+\.\d+, V8 .+\)$/);
        assert.match(name(74), /^TypeScript \(Deno .+, types stripped\)$/);
        const one = await call("GET", "/languages/92");
        assert.equal(one.body.name, name(92));
        assert.equal(one.body.source_file, "script.py");
        const missing = await call("GET", "/languages/4");
        assert.equal(missing.status, 404);
        assert.match(missing.body.error, /"4"/);
        const statuses = (await call("GET", "/statuses")).body;
        assert.equal(statuses.length, 14);
        assert.deepEqual(statuses[0], { id: 1, description: "In Queue" });
        assert.deepEqual(statuses[10], { id: 11, description: "Runtime Error (NZEC)" });
        assert.deepEqual(statuses[13], { id: 14, description: "Exec Format Error" });
      });

      await t.step("about and config_info answer as Judge0's SDKs read them", async () => {
        const about = await call("GET", "/about");
        assert.equal(about.status, 200);
        // Judge0 1.13.1's language ids are the ones /languages answers with.
        assert.equal(about.body.version, "1.13.1");
        assert.equal(about.body.homepage, `${server.url}/docs`);
        assert.match(about.body.maintainer, /^faas-sandbox \d+\.\d+\.\d+/);
        const config = await call("GET", "/config_info");
        assert.equal(config.status, 200);
        assert.equal(Object.keys(config.body).length, 39);
        const { config: c } = server;
        assert.equal(config.body.cpu_time_limit, c.defaultTimeoutMs / 1000);
        assert.equal(config.body.max_wall_time_limit, c.maxTimeoutMs / 1000);
        assert.equal(config.body.memory_limit, c.memoryLimitMb * 1024);
        assert.equal(config.body.max_queue_size, c.maxQueue);
        assert.equal(config.body.enable_wait_result, true);
        assert.equal(config.body.enable_network, false);
        const all = await call("GET", "/languages/all");
        assert.deepEqual(
          all.body.map((l: { id: number }) => l.id),
          (await call("GET", "/languages")).body.map((l: { id: number }) => l.id),
        );
        assert.equal(all.body[0].is_archived, false);
        assert.equal((await call("GET", "/config_info", undefined, null)).status, 401);
      });

      await t.step("hello world with wait=true is accepted, in the default fields", async () => {
        const s = await run({
          language_id: 71,
          source_code: "name = input()\nprint(f'hello, {name}')",
          stdin: "Judge0",
        });
        assert.deepEqual(Object.keys(s).sort(), [
          "compile_output",
          "memory",
          "message",
          "status",
          "stderr",
          "stdout",
          "time",
          "token",
        ]);
        assert.deepEqual(s.status, { id: 3, description: "Accepted" });
        assert.equal(s.stdout, "hello, Judge0\n");
        assert.equal(s.stderr, null);
        assert.equal(s.compile_output, null);
        assert.match(s.time!, /^\d+\.\d{3}$/);
        assert.ok(Number.isInteger(s.memory));
      });

      await t.step(
        "JavaScript and TypeScript programs read stdin as Node programs do",
        async () => {
          const js = await run({
            language_id: 63,
            source_code: [
              'const rl = require("readline").createInterface({ input: process.stdin });',
              "const nums = [];",
              "rl.on('line', (line) => nums.push(...line.split(' ').map(Number)));",
              "rl.on('close', () => console.log(nums.reduce((a, b) => a + b, 0)));",
            ].join("\n"),
            stdin: "1 2\n3 4\n",
            expected_output: "10",
          });
          assert.deepEqual(js.status, { id: 3, description: "Accepted" }, JSON.stringify(js));
          assert.equal(js.stdout, "10\n");
          const ts = await run({
            language_id: 74,
            source_code: [
              'let input: string = "";',
              'process.stdin.on("data", (c: string) => input += c);',
              'process.stdin.on("end", () => console.log(input.trim().split("").reverse().join("")));',
            ].join("\n"),
            stdin: "abc\n",
            expected_output: "cba",
          });
          assert.deepEqual(ts.status, { id: 3, description: "Accepted" }, JSON.stringify(ts));
        },
      );

      await t.step("expected_output is compared as Judge0 does", async () => {
        const code = "print('a  ')\nprint('b')\nprint()\nprint()";
        const matched = await run({ language_id: 71, source_code: code, expected_output: "a\nb" });
        assert.equal(matched.status.id, 3);
        const spaced = await run({
          language_id: 63,
          source_code: "console.log('x \\n y')",
          expected_output: "x\n y   \n\n",
        });
        assert.equal(spaced.status.id, 3);
        // Leading whitespace counts.
        const mismatch = await run({
          language_id: 71,
          source_code: code,
          expected_output: " a\nb",
        });
        assert.deepEqual(mismatch.status, { id: 4, description: "Wrong Answer" });
        assert.equal(mismatch.stdout, "a  \nb\n\n\n");
      });

      await t.step("wait=false answers a token to poll", async () => {
        const res = await call("POST", "/submissions", {
          language_id: 63,
          source_code: "await new Promise((r) => setTimeout(r, 300));\nconsole.log(6 * 7)",
        });
        assert.equal(res.status, 201);
        assert.deepEqual(Object.keys(res.body), ["token"]);
        const early = await call("GET", `/submissions/${res.body.token}`);
        assert.ok([1, 2].includes(early.body.status.id), JSON.stringify(early.body));
        const done = await poll(res.body.token);
        assert.equal(done.status.id, 3);
        assert.equal(done.stdout, "42\n");
      });

      await t.step("base64_encoded=true decodes the request and encodes the answer", async () => {
        const s = await run({
          language_id: 71,
          source_code: b64(
            "import sys\ndata = sys.stdin.read()\nprint(data.upper())\nsys.stderr.write('é')",
          ),
          stdin: b64("ünïcode"),
          expected_output: b64("ÜNÏCODE"),
        }, "&base64_encoded=true&fields=*");
        assert.equal(s.status.id, 3);
        assert.equal(unb64(s.stdout!), "ÜNÏCODE\n");
        assert.equal(unb64(s.stderr!), "é");
        assert.equal(unb64(s.source_code as string).split("\n")[0], "import sys");
        assert.equal(unb64(s.stdin as string), "ünïcode");
        const plain = await call("GET", `/submissions/${s.token}?fields=stdout`);
        assert.deepEqual(plain.body, { stdout: "ÜNÏCODE\n" });
        const bad = await call("POST", "/submissions?base64_encoded=true", {
          language_id: 71,
          source_code: b64("print(1)"),
          stdin: "not base64!",
        });
        assert.equal(bad.status, 400);
        assert.deepEqual(bad.body.details.map((d: { field: string }) => d.field), ["stdin"]);
      });

      await t.step("a TypeScript syntax error is a compilation error", async () => {
        const s = await run({ language_id: 74, source_code: "const x: number = ;\n" }, "&fields=*");
        assert.deepEqual(s.status, { id: 6, description: "Compilation Error" });
        assert.match(s.compile_output!, /SyntaxError/);
        assert.equal(s.stderr, null);
        assert.equal(s.stdout, null);
        assert.equal(s.time, null);
        assert.equal((s.language as { id: number }).id, 74);
      });

      await t.step("a nonzero exit is a runtime error (NZEC) with its exit code", async () => {
        const s = await run({
          language_id: 92,
          source_code: "import sys\nprint('partial')\nsys.exit(2)",
        }, "&fields=status,exit_code,stdout,message");
        assert.deepEqual(s.status, { id: 11, description: "Runtime Error (NZEC)" });
        assert.equal(s.exit_code, 2);
        assert.equal(s.stdout, "partial\n");
        assert.equal(s.message, "Exited with error status 2");
        const thrown = await run({ language_id: 63, source_code: "throw new Error('boom')" });
        assert.equal(thrown.status.id, 11);
        assert.match(thrown.stderr!, /boom/);
      });

      await t.step("wall_time_limit stops an endless loop: time limit exceeded", async () => {
        const started = performance.now();
        const s = await run({
          language_id: 71,
          source_code: "while True:\n    pass",
          wall_time_limit: 1,
        }, "&fields=status,message,wall_time_limit");
        assert.deepEqual(s.status, { id: 5, description: "Time Limit Exceeded" });
        assert.equal(s.message, "Time limit exceeded");
        assert.equal(s.wall_time_limit, "1.0");
        assert.ok(performance.now() - started < 15_000);
      });

      await t.step("command_line_arguments reach sys.argv, split like a shell", async () => {
        const s = await run({
          language_id: 71,
          source_code: "import sys\nprint(sys.argv)",
          command_line_arguments: `one "two words" 'it''s' \\$x`,
        });
        assert.equal(s.stdout, "['script.py', 'one', 'two words', 'its', '$x']\n");
        const bad = await call("POST", "/submissions", {
          language_id: 71,
          source_code: "1",
          command_line_arguments: "'open",
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.details[0].field, "command_line_arguments");
      });

      await t.step("additional_files unpack beside the program", async () => {
        const text = (s: string) => new TextEncoder().encode(s);
        const zip = zipSync({
          "helper.py": text("def greet(n):\n    return 'hi ' + n\n"),
          "data/": new Uint8Array(),
          "data/names.txt": text("ada\n"),
        });
        const s = await run({
          language_id: 71,
          source_code:
            "from helper import greet\nprint(greet(open('data/names.txt').read().strip()))",
          additional_files: zip.toBase64(),
        });
        assert.equal(s.status.id, 3, JSON.stringify(s));
        assert.equal(s.stdout, "hi ada\n");
        const bad = await call("POST", "/submissions", {
          language_id: 71,
          source_code: "1",
          additional_files: b64("not a zip"),
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.details[0].field, "additional_files");
      });

      await t.step("bad fields are refused, naming them", async () => {
        const unknown = await call("POST", "/submissions", { language_id: 42, source_code: "1" });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.details[0].field, "language_id");
        assert.match(unknown.body.details[0].message, /42/);
        const network = await call("POST", "/submissions", {
          language_id: 71,
          source_code: "1",
          enable_network: true,
          callback_url: "http://example.com/done",
        });
        assert.equal(network.status, 400);
        assert.deepEqual(
          network.body.details.map((d: { field: string }) => d.field),
          ["enable_network", "callback_url"],
        );
        const missing = await call("POST", "/submissions", { source_code: "" });
        assert.deepEqual(
          missing.body.details.map((d: { field: string }) => d.field).sort(),
          ["language_id", "source_code"],
        );
        // memory_limit is accepted, and listed as ignored on the job.
        const ignored = await call("POST", "/submissions", {
          language_id: 71,
          source_code: "1",
          memory_limit: 128000,
          extra: 1,
        });
        assert.equal(ignored.status, 201);
        const job = await call("GET", `/jobs/${ignored.body.token}?wait=10`);
        assert.deepEqual(job.body.result.metadata.ignored_fields, ["memory_limit", "extra"]);
      });

      await t.step("fields picks the answer's fields; an unknown one is refused", async () => {
        const s = await run(
          { language_id: 71, source_code: "print(1)" },
          "&fields=stdout,status_id",
        );
        assert.deepEqual(s as unknown, { stdout: "1\n", status_id: 3 });
        const bad = await call("POST", "/submissions?fields=stdout,nope", {
          language_id: 71,
          source_code: "1",
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.details[0].field, "fields");
        assert.match(bad.body.details[0].message, /"nope"/);
      });

      await t.step("a batch is queued and read back in order", async () => {
        const remaining = (r: { headers: Headers }) => Number(r.headers.get("ratelimit-remaining"));
        const single = await call("POST", "/submissions", { language_id: 71, source_code: "1" });
        const res = await call("POST", "/submissions/batch", {
          submissions: [
            { language_id: 71, source_code: "print('py')" },
            { language_id: 63, source_code: "console.log('js')" },
            { language_id: 101, source_code: "const n: number = 3; console.log(n)" },
          ],
        });
        assert.equal(res.status, 201);
        assert.equal(res.body.length, 3);
        // The batch's three runs are charged at once to the key's runs per minute.
        assert.equal(remaining(single) - remaining(res), 3);
        const tokens = res.body.map((e: { token: string }) => e.token);
        for (const token of tokens) await poll(token);
        const read = await call(
          "GET",
          `/submissions/batch?tokens=${tokens.join(",")},nope&fields=stdout,status_id,language_id`,
        );
        assert.deepEqual(read.body.submissions, [
          { stdout: "py\n", status_id: 3, language_id: 71 },
          { stdout: "js\n", status_id: 3, language_id: 63 },
          { stdout: "3\n", status_id: 3, language_id: 101 },
          null,
        ]);
        const invalid = await call("POST", "/submissions/batch", {
          submissions: [{ language_id: 71, source_code: "1" }, { language_id: 71 }],
        });
        assert.equal(invalid.status, 400);
        assert.equal(invalid.body.details[0].field, "submissions.1.source_code");
        const empty = await call("GET", "/submissions/batch?tokens=");
        assert.equal(empty.status, 400);
        assert.equal(empty.body.details[0].field, "tokens");
      });

      await t.step("a submission is its key's job: others see nothing", async () => {
        const s = await run({ language_id: 71, source_code: "print('mine')" });
        assert.equal((await call("GET", `/submissions/${s.token}`, undefined, "k2")).status, 404);
        const batch = await call("GET", `/submissions/batch?tokens=${s.token}`, undefined, "k2");
        assert.deepEqual(batch.body.submissions, [null]);
        const anonymous = await call("GET", `/submissions/${s.token}`, undefined, null);
        assert.equal(anonymous.status, 401);
        const wrong = await call(
          "POST",
          "/submissions",
          { language_id: 71, source_code: "1" },
          "k3",
        );
        assert.equal(wrong.status, 401);
        // Deleting is not offered (Judge0 turns it off by default too).
        const remove = await call("DELETE", `/submissions/${s.token}`);
        assert.equal(remove.status, 405);
        assert.equal(remove.headers.get("allow"), "GET, HEAD");
        // The same job through the jobs API, with either header.
        const job = await call("GET", `/jobs/${s.token}`);
        assert.equal(job.body.status, "done");
        assert.equal(job.body.result.output.stdout, "mine\n");
        const bearer = await fetch(`${server.url}/jobs/${s.token}`, {
          headers: { authorization: "Bearer k1" },
        });
        assert.equal((await bearer.json()).id, s.token);
      });

      await t.step(
        "a submission whose host died is an internal error, and a dead job",
        async () => {
          const res = await call("POST", "/submissions", {
            language_id: 71,
            source_code: "import time\ntime.sleep(5)",
          });
          // Once its run reached the sandbox (the job counts the attempt then), its host dies.
          let job = (await call("GET", `/jobs/${res.body.token}`)).body;
          for (let i = 0; i < 400 && job.attempts < 1; i++) {
            await new Promise((r) => setTimeout(r, 25));
            job = (await call("GET", `/jobs/${res.body.token}`)).body;
          }
          const host = server.service.pools.python.hosts().find((h) => h.state === "busy");
          assert.ok(host, "the submission runs");
          Deno.kill(host.pid, "SIGKILL");
          const s = await poll(res.body.token);
          assert.deepEqual(s.status, { id: 13, description: "Internal Error" });
          assert.match(s.message!, /Failed 1 times/);
          const dead = await call("GET", "/jobs?status=dead");
          assert.ok(dead.body.jobs.some((j: { id: string }) => j.id === res.body.token));
        },
      );

      await t.step("the OpenAPI document has the Judge0 paths", async () => {
        const doc = (await call("GET", "/openapi.json")).body;
        for (
          const path of [
            "/languages",
            "/languages/{id}",
            "/statuses",
            "/submissions",
            "/submissions/{token}",
            "/submissions/batch",
          ]
        ) {
          assert.ok(doc.paths[path], path);
        }
        assert.deepEqual(doc.paths["/submissions"].post.tags, ["Judge0 CE compatibility"]);
      });
    } finally {
      await server.close();
    }
  },
});
