/**
 * The Web APIs a JS/TS run gets: each works as on the Web, what is absent is
 * absent, and none hands the run an object of the worker's realm (errors
 * they throw, stack overflows inside them, and what they return all belong
 * to the run's own realm).
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";

Deno.test({
  name: "js runs get the usual Web globals, built in their own realm",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    const js = async (code: string, language = "javascript") => {
      const r = await server.run({ language, code, timeout: 5000 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    try {
      await t.step("the Web APIs are built only once a run uses one", async () => {
        // An accessor until first use, a plain value after: runs that use none
        // (most) do not pay for building them.
        const body = await js(`
const kind = () => typeof Object.getOwnPropertyDescriptor(globalThis, "TextEncoder").get;
const before = kind();
const size = require("fs").readFileSync(0).length;
return [before, kind(), size];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), ["function", "undefined", 0]);
      });

      await t.step("URL and URLSearchParams parse, edit and serialize", async () => {
        const body = await js(`
const u = new URL("https://user:pw@example.com:8080/a/b?x=1&y=two+words#frag");
u.searchParams.append("z", "é &=");
u.pathname = "/c d";
const rel = new URL("../x?k=v", "http://a/b/c");
const bad = (() => { try { new URL("not a url"); } catch (e) { return e instanceof TypeError; } })();
return [u.hostname, u.port, u.origin, u.searchParams.get("y"), u.href, rel.href,
  rel.searchParams.get("k"), bad, URL.canParse("nope"), new URLSearchParams({a: 1, b: "x y"}).toString()];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          "example.com",
          "8080",
          "https://example.com:8080",
          "two words",
          "https://user:pw@example.com:8080/c%20d?x=1&y=two+words&z=%C3%A9+%26%3D#frag",
          "http://a/x?k=v",
          "v",
          true,
          false,
          "a=1&b=x+y",
        ]);
      });

      await t.step("TextEncoder and TextDecoder round-trip UTF-8", async () => {
        const body = await js(`
const bytes = new TextEncoder().encode("héllo 😀");
const d = new TextDecoder();
const split = d.decode(bytes.subarray(0, 8), { stream: true }) + d.decode(bytes.subarray(8));
let fatal = false;
try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { fatal = e instanceof TypeError; }
return [bytes.length, Array.from(bytes.subarray(0, 3)), new TextDecoder().decode(bytes), split, fatal];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          11,
          [104, 195, 169],
          "héllo 😀",
          "héllo 😀",
          true,
        ]);
      });

      await t.step("structuredClone copies deeply and refuses functions", async () => {
        const body = await js(`
const o = { d: new Date(0), m: new Map([[1, { b: 2 }]]), s: new Set([3]), u8: new Uint8Array([7]) };
o.self = o;
const c = structuredClone(o);
let refused = "";
try { structuredClone({ f() {} }); } catch (e) { refused = e.name + ":" + (e instanceof DOMException); }
return [c !== o, c.self === c, c.d instanceof Date, c.m.get(1).b, c.m.get(1) !== o.m.get(1),
  c.s.has(3), c.u8[0], refused];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          true,
          true,
          true,
          2,
          true,
          true,
          7,
          "DataCloneError:true",
        ]);
      });

      await t.step("crypto, base64, Intl, microtasks and timers", async () => {
        const body = await js(`
const order = [];
queueMicrotask(() => order.push("micro"));
setTimeout(() => order.push("timer"), 0);
order.push("sync");
await new Promise((r) => setTimeout(r, 5));
const bytes = crypto.getRandomValues(new Uint8Array(8));
return [order.join(","), /^[0-9a-f-]{36}$/.test(crypto.randomUUID()), bytes instanceof Uint8Array,
  atob(btoa("hi")), new Intl.NumberFormat("en-US").format(1234.5)];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          "sync,micro,timer",
          true,
          true,
          "hi",
          "1,234.5",
        ]);
      });

      await t.step("an error thrown in a microtask fails the run like one in a timer", async () => {
        const body = await js(`queueMicrotask(() => { throw new Error("late"); });
await new Promise((r) => setTimeout(r, 20));`);
        assert.equal(body.metadata.status, "error");
        assert.match(body.output.stderr, /Uncaught Error: late/);
      });

      await t.step("console levels go to stdout and stderr", async () => {
        const body = await js(`console.log("l"); console.info("i"); console.debug("d");
console.warn("w"); console.error("e");`);
        assert.equal(body.output.stdout, "l\ni\nd\n");
        assert.equal(body.output.stderr, "w\ne\n");
      });

      await t.step("the same globals in TypeScript", async () => {
        const body = await js(
          `const u: URL = new URL("http://x/?a=1"); const n: number = new TextEncoder().encode("ab").length;
return u.searchParams.get("a") + n;`,
          "typescript",
        );
        assert.equal(body.output.ret_val, "12");
      });

      await t.step("process.nextTick, hrtime and cwd work as in Node", async () => {
        const body = await js(`const order = [];
process.nextTick((a, b) => order.push("tick " + a + b), 1, 2);
order.push("sync");
await new Promise((r) => setTimeout(r, 5));
const [s, ns] = process.hrtime();
const d = process.hrtime([s, ns]);
let refused = false;
try { process.nextTick(42); } catch (e) { refused = e instanceof TypeError; }
return [order, typeof process.hrtime.bigint(), d[0] === 0 && d[1] >= 0 && d[1] < 1e9,
  process.cwd(), refused];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          ["sync", "tick 12"],
          "bigint",
          true,
          "/",
          true,
        ]);
      });

      await t.step("fetch and Deno's and process's real APIs are absent", async () => {
        const body = await js(`return [typeof fetch, typeof Deno.connect, typeof Deno.open,
  typeof Deno.Command, typeof process.binding, typeof WebSocket, typeof XMLHttpRequest, typeof Worker];`);
        assert.deepEqual(JSON.parse(body.output.ret_val), Array(8).fill("undefined"));
      });

      await t.step("require and file reads reach the run's own files only", async () => {
        const body = await js(`const tries = {
  v8: () => require("node:v8"), fsPromises: () => require("node:fs/promises"),
  passwd: () => require("fs").readFileSync("/etc/passwd", "utf8"),
  up: () => Deno.readTextFileSync("../../etc/passwd"), self: () => require("/proc/self/environ"),
};
return Object.entries(tries).map(([k, f]) => { try { f(); return k + " reached"; } catch (e) { return e.code; } });`);
        assert.deepEqual(JSON.parse(body.output.ret_val), [
          "MODULE_NOT_FOUND",
          "MODULE_NOT_FOUND",
          "ENOENT",
          "ENOENT",
          "MODULE_NOT_FOUND",
        ]);
      });

      await t.step(
        "errors, results and overflows of the Web APIs belong to the run's realm",
        async () => {
          // Each value's Function constructor must give back this run's own
          // global; a worker-realm object would give the worker's, where Deno
          // and the host's postMessage live.
          const body = await js(`
const own = (v) => v.constructor.constructor("return globalThis")() === globalThis;
const caught = (f) => { try { f(); } catch (e) { return e; } };
const checks = {
  urlError: caught(() => new URL("nope")),
  cloneError: caught(() => structuredClone(Symbol("s"))),
  decodeError: caught(() => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3]))),
  encoding: caught(() => new TextDecoder("latin2")),
  encoded: new TextEncoder().encode("x"),
  params: [...new URL("http://a/?b=c").searchParams][0],
  parts: new URL("http://a/").searchParams,
};
// Stack overflows at every point of a call into the host (URL parser,
// output, timers, clock, random):
// each level calls it once more, a frame closer to the limit.
const overflows = [];
function deep() {
  try { new URL("http://a/"); } catch (e) { overflows.push(e); }
  try { URL.canParse("http://a/"); } catch (e) { overflows.push(e); }
  try { console.log(); } catch (e) { overflows.push(e); }
  try { crypto.randomUUID(); } catch (e) { overflows.push(e); }
  try { performance.now(); } catch (e) { overflows.push(e); }
  try { clearTimeout(setTimeout(() => {}, 1)); } catch (e) { overflows.push(e); }
  deep();
}
try { deep(); } catch (e) { overflows.push(e); }
checks.overflow = overflows.find((e) => !own(e)) ?? overflows[0];
const leaks = Object.entries(checks).filter(([, v]) => !own(v)).map(([k]) => k);
return [leaks, typeof globalThis.postMessage, Object.keys(checks).length];`);
          assert.equal(body.metadata.status, "success", JSON.stringify(body));
          assert.deepEqual(JSON.parse(body.output.ret_val), [[], "undefined", 8]);
        },
      );
    } finally {
      await server.close();
    }
  },
});
