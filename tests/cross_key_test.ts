/**
 * Isolation by construction: a run cannot see or change a run of another
 * isolation key, whatever it does inside its own instance. Every attack is
 * one snippet that first reports what it collected so far, then (re)installs
 * its hooks, so running it again with the attacker's key is the collector:
 * attacker -> victim (another key, a secret INPUT) -> collector. With one
 * host per runtime, attacker and victim always share a host process.
 *
 * The control test runs the same attacks within one key, where the per-run
 * reset is only best effort: the routes marked `leaks` do reach the victim
 * there, which shows this corpus would fail if keys were not kept apart.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";

interface Attack {
  language: "python" | "javascript" | "typescript";
  code: string;
  /** Reaches a victim sharing the instance (checked by the control test). */
  leaks: boolean;
}

/** Reaches the worker realm's global object from a JS run (call-site escape). */
const JS_ESCAPE = `
Error.prepareStackTrace = (e, cs) => cs;
const sites = new Error().stack;
Error.prepareStackTrace = undefined;
let W;
for (const site of sites) {
  try {
    W = Object.getPrototypeOf(Object.getPrototypeOf(site)).constructor.constructor(
      "return globalThis",
    )();
    if (W && W !== globalThis) break;
  } catch {}
}
if (!W || W === globalThis) return "no escape";
`;

const ATTACKS: Record<string, Attack> = {
  "python json encoder interior mutation": {
    language: "python",
    leaks: true,
    code: `import json
enc = json._default_encoder
loot = enc.__dict__.get("loot")
if loot is None:
    loot = []
    orig = type(enc).encode
    def spy(o, _orig=orig, _enc=enc, _loot=loot):
        _loot.append(repr(o))
        return _orig(_enc, o)
    enc.loot = loot
    enc.encode = spy
print("LOOT", loot)`,
  },
  "python decimal context mutation": {
    language: "python",
    leaks: true,
    code: `import decimal
ctx = decimal.getcontext()
print("LOOT", ctx.prec)
ctx.prec = 3`,
  },
  "python gc callback scanning for INPUT": {
    language: "python",
    leaks: true,
    code: `import gc, sys
holder = sys.__dict__.get("_loot_holder") or getattr(gc, "_faas_loot", None)
loot = [] if holder is None else holder
def cb(phase, info, _loot=loot, _gc=gc):
    if phase != "start" or len(_loot) > 3:
        return
    for o in _gc.get_objects():
        if type(o) is dict and o.get("INPUT") is not None:
            _loot.append(repr(o["INPUT"]))
            return
if not any(getattr(c, "__name__", "") == "cb" for c in gc.callbacks):
    gc.callbacks.append(cb)
    for c in gc.callbacks:
        if getattr(c, "__name__", "") == "cb":
            loot = c.__defaults__[0]
for c in gc.callbacks:
    if getattr(c, "__name__", "") == "cb":
        print("LOOT", c.__defaults__[0])`,
  },
  "python worker-realm timer re-applying a patch": {
    language: "python",
    leaks: false,
    code: `import js, json
from pyodide.ffi import create_proxy
loot = getattr(js.globalThis, "faasLoot", None)
print("LOOT", loot)
def patch():
    json.dumps = lambda *a, **k: "PATCHED"
js.setInterval(create_proxy(patch), 0)
patch()`,
  },
  "python file created by node through pyodide_js.FS": {
    language: "python",
    leaks: false,
    code: `import pyodide_js, os
print("LOOT", os.listdir("/tmp"))
pyodide_js.FS.createDataFile("/tmp", "planted", "PLANTED", True, True)`,
  },
  "python ctypes write into wasm memory": {
    language: "python",
    leaks: false,
    code: `import ctypes, json
b = ctypes.create_string_buffer(b"LOOT-MARKER", 64)
print("LOOT", b.value)
# Overwrite the bytes of a cached constant in this interpreter's memory.
s = "SECRET-"
addr = id(s) + 40
try:
    ctypes.memmove(addr, b"POISON!", 7)
except Exception as e:
    print("memmove failed", e)`,
  },
  "python harness module wrapped": {
    language: "python",
    leaks: false,
    code: `import sys
h = sys.modules.get("_faas_harness")
loot = getattr(getattr(h, "start", None), "loot", None)
print("LOOT", loot)
if h is not None and loot is None:
    orig = h.start
    seen = []
    def start(code, input_json, stdin, _orig=orig, _seen=seen):
        _seen.append(input_json)
        return _orig(code, input_json, stdin)
    start.loot = seen
    h.start = start`,
  },
  // Closed even within a key now: the worker realm compiles no code from
  // strings, so its Function constructor yields nothing.
  "js worker realm reached through call sites, Array.prototype.push wrapped": {
    language: "javascript",
    leaks: false,
    code: `${JS_ESCAPE}
const loot = W.__loot ?? (W.__loot = []);
const seen = JSON.stringify(loot);
if (!W.__hooked) {
  W.__hooked = true;
  const push = W.Array.prototype.push;
  W.Array.prototype.push = function (...items) {
    for (const x of items) {
      if (typeof x === "string" && x.includes("SECRET-")) push.call(loot, x);
    }
    return push.apply(this, items);
  };
}
console.log("LOOT", seen);`,
  },
  "js leftover Atomics.waitAsync callback": {
    language: "javascript",
    leaks: false,
    code: `${JS_ESCAPE}
const loot = W.__waitLoot ?? (W.__waitLoot = []);
console.log("LOOT", JSON.stringify(loot));
const ia = new W.Int32Array(new W.SharedArrayBuffer(4));
W.Atomics.waitAsync(ia, 0, 0, 5).value.then(() => {
  loot.push(String(W.__lastInput ?? ""));
});`,
  },
  "ts stack overflow in a host function yields a worker-realm error": {
    language: "typescript",
    leaks: false,
    code: `let err: any;
const deep = (n: number): number => deep(n + 1) + 1;
try { deep(0); } catch (e) { err = e; }
const W: any = err?.constructor?.constructor?.("return globalThis")?.();
const loot: string[] = (W && W !== globalThis) ? (W.__tsLoot ??= []) : [];
console.log("LOOT", JSON.stringify(loot));
if (W && W !== globalThis && !W.__tsHooked) {
  W.__tsHooked = true;
  const join = W.Array.prototype.join;
  W.Array.prototype.join = function (this: unknown[], sep?: string) {
    const text = join.call(this, sep);
    if (text.includes("SECRET-")) loot.push(text);
    return text;
  };
}`,
  },
};

/** Victims: each prints and returns its secret through the usual paths. */
const VICTIMS = {
  python: `import json, decimal, random
secret = INPUT
data = [dict(i=i) for i in range(20000)]
print(secret)
third = str(decimal.Decimal(1) / decimal.Decimal(3))
json.dumps({"s": secret, "third": third, "n": len(data)})`,
  javascript: `console.log(INPUT);
const parts = [INPUT, "x"];
return JSON.stringify({ s: INPUT, joined: parts.join("|") });`,
};

function expected(language: string, secret: string): { stdout: string; retVal: string } {
  return language === "python"
    ? {
      stdout: `${secret}\n`,
      retVal: JSON.stringify({ s: secret, third: "0." + "3".repeat(28), n: 20000 })
        .replaceAll(",", ", ").replaceAll(":", ": "),
    }
    : { stdout: `${secret}\n`, retVal: JSON.stringify({ s: secret, joined: `${secret}|x` }) };
}

interface Round {
  attacker: Record<string, unknown>;
  victim: Record<string, unknown>;
  victimOk: boolean;
  collected: string;
  secret: string;
}

async function round(
  server: TestServer,
  attack: Attack,
  victimTenant: string,
): Promise<Round> {
  const runtime = attack.language === "python" ? "python" : "javascript";
  const a = await server.run({ language: attack.language, code: attack.code, tenant: "mallory" });
  const secret = `SECRET-${crypto.randomUUID()}`;
  const v = await server.run({
    language: runtime,
    code: VICTIMS[runtime],
    input: secret,
    tenant: victimTenant,
  });
  const want = expected(runtime, secret);
  const victimOk = v.body.metadata.status === "success" &&
    v.body.output.stdout === want.stdout && v.body.output.ret_val === want.retVal;
  const c = await server.run({ language: attack.language, code: attack.code, tenant: "mallory" });
  return {
    attacker: a.body.metadata,
    victim: v.body as unknown as Record<string, unknown>,
    victimOk,
    collected: JSON.stringify(c.body),
    secret,
  };
}

for (const mode of ["code", "tenant", "run"]) {
  Deno.test({
    name: `no run sees or changes a run of another key (FAAS_ISOLATION=${mode})`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const server = await startServer({
        FAAS_POOL_SIZE: "2",
        FAAS_MAX_INSTANCES: "2",
        FAAS_ISOLATION: mode,
      });
      for (const [name, attack] of Object.entries(ATTACKS)) {
        await t.step(`${name}: attacker -> victim -> collector`, async () => {
          const r = await round(server, attack, "alice");
          const victim = r.victim as { metadata: Record<string, string> };
          assert.ok(r.victimOk, `victim got a wrong result: ${JSON.stringify(r.victim)}`);
          assert.notEqual(victim.metadata.instance_id, r.attacker.instance_id);
          // One host per runtime: the victim ran in the attacker's process.
          assert.equal(
            victim.metadata.instance_id.split("/")[0],
            String(r.attacker.instance_id).split("/")[0],
          );
          assert.ok(!r.collected.includes(r.secret), `collector saw the secret: ${r.collected}`);
        });
      }
      await server.close();
    },
  });
}

Deno.test({
  name: "control: within one key the leaking routes do reach the victim",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_ISOLATION: "tenant",
    });
    for (const [name, attack] of Object.entries(ATTACKS)) {
      if (!attack.leaks) continue;
      await t.step(`${name}: the victim sharing the key is reached`, async () => {
        const r = await round(server, attack, "mallory");
        // Either the secret reached the collector or the victim's result was
        // changed: the route is live within a key.
        assert.ok(
          r.collected.includes(r.secret) || !r.victimOk,
          `route did nothing within one key: ${r.collected.slice(0, 300)}`,
        );
      });
    }
    await server.close();
  },
});
