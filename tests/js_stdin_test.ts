/**
 * Standard input read the way Node programs for judges read it:
 * `process.stdin` events, `readline` lines and questions, async iteration.
 * The answer printed from an `end` or `close` listener is in the run's
 * output, and an error or `process.exit` inside a listener ends the run as
 * it would end a process.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "js runs read stdin as Node programs do",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    const run = async (code: string, stdin: string, language = "javascript") => {
      const r = await server.run({ language, code, stdin, timeout: 5000 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    try {
      await t.step("data and end events get the whole input, once", async () => {
        const body = await run(
          `let input = "";
let chunks = 0;
process.stdin.resume();
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; chunks++; });
process.stdin.on("end", () => {
  const [a, b] = input.trim().split(/\\s+/).map(Number);
  console.log(a + b, chunks, typeof input);
});`,
          "2 40\n",
        );
        assert.equal(body.metadata.status, "success");
        assert.equal(body.output.stdout, "42 1 string\n");
      });

      await t.step("readline emits each line, then close", async () => {
        const body = await run(
          `const readline = require("readline");
const rl = readline.createInterface({ input: process.stdin, terminal: false });
const lines = [];
rl.on("line", (line) => lines.push(line));
rl.on("close", () => console.log(lines.join("|")));`,
          "first\r\nsecond\n\nlast",
        );
        assert.equal(body.output.stdout, "first|second||last\n");
      });

      await t.step(
        "static imports of node:readline and node:process work in TypeScript",
        async () => {
          const body = await run(
            `import * as readline from "node:readline";
import process from "node:process";
const rl = readline.createInterface({ input: process.stdin });
let total: number = 0;
for await (const line of rl) total += Number(line);
console.log("total", total);`,
            "1\n2\n3\n",
            "typescript",
          );
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
          assert.equal(body.output.stdout, "total 6\n");
        },
      );

      await t.step(
        "questions get the next lines in turn, with callbacks and promises",
        async () => {
          const callbacks = await run(
            `const rl = require("readline").createInterface(process.stdin, process.stdout);
rl.question("name? ", (name) => {
  rl.question("age? ", (age) => {
    console.log("\\n" + name + " is " + age);
    rl.close();
  });
});`,
            "Ada\n36\n",
          );
          assert.equal(callbacks.output.stdout, "name? age? \nAda is 36\n");
          const promises = await run(
            `const rl = require("node:readline/promises").createInterface({ input: process.stdin });
const a = await rl.question("");
const b = await rl.question("");
rl.close();
return Number(a) * Number(b);`,
            "6\n7\n",
          );
          assert.equal(promises.output.ret_val, "42");
        },
      );

      await t.step("readable and read(), and async iteration of stdin", async () => {
        const readable = await run(
          `let text = "";
process.stdin.on("readable", () => { let c; while ((c = process.stdin.read()) !== null) text += c; });
process.stdin.on("end", () => console.log(text.toUpperCase().trim()));`,
          "quiet\n",
        );
        assert.equal(readable.output.stdout, "QUIET\n");
        const iterated = await run(
          `let text = "";
for await (const chunk of process.stdin) text += chunk;
return text.length;`,
          "12345",
        );
        assert.equal(iterated.output.ret_val, "5");
      });

      await t.step("empty input still ends, and listeners' async work is waited for", async () => {
        const body = await run(
          `process.stdin.on("data", () => console.log("no data expected"));
process.stdin.on("end", async () => {
  await new Promise((r) => setTimeout(r, 20));
  console.log("ended");
});`,
          "",
        );
        assert.equal(body.output.stdout, "ended\n");
        const closed = await run(
          `const rl = require("readline").createInterface({ input: process.stdin });
let n = 0;
rl.on("line", () => n++);
rl.on("close", async () => {
  await new Promise((r) => setTimeout(r, 20));
  console.log("lines:", n);
});`,
          "a\nb\n",
        );
        assert.equal(closed.output.stdout, "lines: 2\n");
      });

      await t.step("process.exit and errors in listeners end the run as a process", async () => {
        const exited = await run(
          `process.stdin.on("data", (d) => { console.log(d.trim()); process.exit(3); });
process.stdin.on("end", () => console.log("not reached"));`,
          "bye\n",
        );
        assert.equal(exited.output.stdout, "bye\n");
        assert.equal(exited.metadata.exit_code, 3);
        const failed = await run(
          `require("readline").createInterface({ input: process.stdin })
  .on("line", (line) => { throw new TypeError("bad line " + line); });`,
          "x\n",
        );
        assert.equal(failed.metadata.status, "error");
        assert.match(failed.output.stderr, /TypeError: bad line x/);
      });

      await t.step("readline over anything but process.stdin is refused clearly", async () => {
        const body = await run(
          `require("readline").createInterface({ input: {} });`,
          "",
        );
        assert.equal(body.metadata.status, "error");
        assert.match(body.output.stderr, /readline reads process\.stdin only/);
      });

      await t.step(
        "readFileSync without an encoding gives bytes that read as text, as a Buffer",
        async () => {
          const { body } = await server.run({
            language: "javascript",
            files: [{ name: "data.txt", content: "hi" }],
            stdin: "3\n1 é 2\n",
            code: `const fs = require("fs");
const lines = fs.readFileSync("/dev/stdin").toString().trim().split("\\n");
const b = fs.readFileSync(0);
return [lines, b instanceof Uint8Array, b.length, String(b).length, "" + b.subarray(0, 1),
  b.toString("hex", 0, 3), b.toString("base64", 0, 3), b.toString("utf8", 2, 8),
  Object.keys(b).length === b.length, fs.readFileSync("data.txt").toString("latin1")];`,
          });
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
          assert.deepEqual(JSON.parse(body.output.ret_val), [
            ["3", "1 é 2"],
            true,
            9,
            8,
            "3",
            "330a31",
            "Mwox",
            "1 é 2",
            true,
            "hi",
          ]);
        },
      );

      await t.step("stdin's objects and errors belong to the run's own realm", async () => {
        const body = await run(
          `const rl = require("readline").createInterface({ input: process.stdin });
let refused;
try { require("readline").createInterface({ input: {} }); } catch (e) { refused = e; }
return [
  Object.getPrototypeOf(process.stdin) === Object.prototype,
  process.stdin.on instanceof Function,
  rl.question instanceof Function,
  refused instanceof TypeError,
  // The async iterator prototype the run's own async generators share.
  Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf(process.stdin[Symbol.asyncIterator]()))) ===
    Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})()))),
];`,
          "",
        );
        assert.equal(body.output.ret_val, "[true,true,true,true,true]", JSON.stringify(body));
      });

      await t.step(
        "a run that never touches stdin ends as before: pending timers cancelled",
        async () => {
          const body = await run(
            `setTimeout(() => console.log("late"), 50); console.log("now");`,
            "x",
          );
          assert.equal(body.output.stdout, "now\n");
        },
      );
    } finally {
      await server.close();
    }
  },
});
