/**
 * Instances of several isolation keys share a host process, so no run may
 * reach that process: no thread it starts, no V8 flag, no disk cache, and no
 * code of a run executing once its answer is sent (when the host may already
 * serve another key). Each route is tried as attacker -> victim (another
 * key, a secret) -> collector (the attacker's key again), in both isolation
 * modes that share hosts between keys, with one host per runtime so that
 * attacker and victim always share a process.
 *
 * Every attacker reports the capabilities it reached; the list must be
 * empty, so a route that opens again fails here even before it is used.
 */
import assert from "node:assert/strict";
import { startServer, type TestServer } from "./helpers/server.ts";
import { HOST_ALLOCATOR_ENV } from "../sandbox/host_command.ts";

interface HostAttack {
  language: "python" | "javascript" | "typescript";
  code: string;
  /** Extra checks on the round (the victim's own view, timings). */
  check?: (r: HostRound) => void;
}

interface HostRound {
  reached: string[];
  victim: VictimReport;
  collected: string;
  secret: string;
}

/** What every victim reports besides its secret. */
interface VictimReport {
  status: string;
  stdout: string;
  startedMs: number;
  endedMs: number;
  natives: string;
  cpuMs: number;
}

/** Python: tries each capability and prints the ones it got. */
const PY_REACH = `import js, json, sys
reached = []
def attempt(name, f):
    try:
        if f() is not None:
            reached.append(name)
    except BaseException:
        pass
spin = "data:text/javascript,const t=Date.now();while(Date.now()-t<3000){}"
attempt("process.getBuiltinModule", lambda: js.process.getBuiltinModule("node:worker_threads"))
attempt("process.getBuiltinModule(v8)", lambda: js.process.getBuiltinModule("node:v8"))
attempt("globalThis.process", lambda: js.globalThis.process)
attempt("require", lambda: js.require("node:worker_threads"))
attempt("Worker", lambda: js.Worker.new(spin, js.JSON.parse('{"type":"module"}')))
attempt("SharedWorker", lambda: js.SharedWorker)
attempt("eval", lambda: js.eval("1"))
attempt("Function", lambda: js.Function.new("return 1")())
attempt("caches", lambda: js.caches)
attempt("CacheStorage", lambda: js.CacheStorage)
attempt("BroadcastChannel", lambda: js.BroadcastChannel.new("x"))
attempt("navigator.locks", lambda: js.navigator.locks)
attempt("fetch", lambda: js.fetch)
attempt("Deno.openKv", lambda: js.Deno.openKv)
attempt("Deno.Command", lambda: js.Deno.Command)
attempt("Deno.readFileSync", lambda: js.Deno.readFileSync)
attempt("Deno.writeFileSync", lambda: js.Deno.writeFileSync)
attempt("Deno.stdout", lambda: js.Deno.stdout)
def run_js():
    from pyodide.code import run_js
    return run_js("1")
attempt("pyodide.code.run_js", run_js)
def node_sockets():
    import pyodide_js
    return pyodide_js._api.initializeNodeSockFS()
attempt("initializeNodeSockFS", node_sockets)
def node_modules_loader():
    import pyodide_js
    try:
        pyodide_js._api.loadBinaryFile("/nonexistent")
    except BaseException:
        pass
    return js.require
attempt("require after Pyodide's Node loader", node_modules_loader)
def node_fs():
    import os, pyodide_js
    pyodide_js.mountNodeFS("/mnt/host", "/etc")
    return os.listdir("/mnt/host") or None
attempt("mountNodeFS", node_fs)
def define_process():
    js.globalThis.process = js.Object.new()
    return js.globalThis.process
attempt("globalThis.process assigned", define_process)
print("REACHED", json.dumps(reached))
`;

/** JS: the same, from the run's context and from the worker realm. */
const JS_REACH = `const reached = [];
const attempt = async (name, f) => {
  try {
    const v = await f();
    if (v !== undefined && v !== null) reached.push(name);
  } catch {}
};
await attempt("Worker", () => new Worker("data:text/javascript,for(;;){}", { type: "module" }));
await attempt("import(node:)", () => import("node:worker_threads"));
await attempt("import(data:)", () => import("data:text/javascript,export default 1"));
await attempt("process.getBuiltinModule", () => process.getBuiltinModule("node:v8"));
await attempt("require", () => require("node:v8"));
await attempt("caches", () => caches);
await attempt("BroadcastChannel", () => new BroadcastChannel("x"));
await attempt("navigator.locks", () => navigator.locks);
await attempt("Deno.openKv", () => Deno.openKv);
// The worker realm, reached through stack-trace call sites.
Error.prepareStackTrace = (e, cs) => cs;
const sites = new Error().stack;
Error.prepareStackTrace = undefined;
const workerObject = Object.getPrototypeOf(Object.getPrototypeOf(sites[0]));
const WF = workerObject.constructor.constructor;
await attempt("worker Function", () => WF("return globalThis")());
await attempt("worker Function(import)", () => WF("return import('node:v8')")());
let overflow;
const deep = (n) => deep(n + 1) + 1;
try { deep(0); } catch (e) { overflow = e; }
// The run's own global is no escape; only another one counts.
await attempt("error constructor of another realm", () => {
  const g = overflow.constructor.constructor("return globalThis")();
  return g === globalThis ? undefined : g;
});
console.log("REACHED", JSON.stringify(reached));
`;

const ATTACKS: Record<string, HostAttack> = {
  "python: threads, V8 flags, caches and code generation in the worker realm": {
    language: "python",
    code: PY_REACH,
  },
  "javascript: threads, V8 flags, caches and imports from the run and the worker realm": {
    language: "javascript",
    code: JS_REACH,
  },
  "typescript: the same from a TypeScript run": {
    language: "typescript",
    code: JS_REACH.replace("const reached = [];", "const reached: string[] = [];")
      .replaceAll("(name, f)", "(name: string, f: () => unknown)")
      .replace("const deep = (n) =>", "const deep = (n: number): number =>")
      .replace("let overflow;", "let overflow: any;")
      .replace("(e, cs) => cs", "(_e: unknown, cs: unknown) => cs")
      .replace("const sites = new Error().stack;", "const sites = new Error().stack as any;"),
  },
  // The harness module survives resets within a key, so a wrapped reset
  // runs after every later run of the attacker's key. It spins for 600 ms
  // and records when: that must all happen before the attacker's answer,
  // so never while the victim (sent only after that answer) runs.
  "python: a wrapped reset runs before the answer, never beside another key's run": {
    language: "python",
    code: `${PY_REACH}
import sys, time
h = sys.modules["_faas_harness"]
windows = getattr(h.reset, "windows", None)
print("LOOT", json.dumps(windows))
if windows is None:
    real = h.reset
    windows = []
    def reset(*args, _real=real, _windows=windows):
        start = js.Date.now()
        while js.Date.now() - start < 600:
            pass
        _windows.append([start, js.Date.now()])
        return _real(*args)
    reset.windows = windows
    h.reset = reset`,
    check(r) {
      const windows = JSON.parse(r.collected.match(/LOOT (.*)\n/)?.[1] ?? "null");
      assert.ok(Array.isArray(windows) && windows.length >= 1, `no reset ran: ${r.collected}`);
      const [, ended] = windows[0] as [number, number];
      assert.ok(
        ended <= r.victim.startedMs,
        `the attacker's reset ran until ${ended}, after the victim started at ${r.victim.startedMs}`,
      );
    },
  },
  // Worker-realm code iterates arrays (restoring the realm does), and a JS
  // run can reach the worker realm's array iterator through stack-trace call
  // sites. Patched, it spins 100 ms per call once the run's own code is
  // over: all of that must happen before the answer.
  "javascript: a patched worker-realm iterator runs before the answer, never beside another key's run":
    {
      language: "javascript",
      code: `${JS_REACH}
Error.prepareStackTrace = (e, cs) => cs;
const calls = new Error().stack;
Error.prepareStackTrace = undefined;
const realmObject = Object.getPrototypeOf(Object.getPrototypeOf(calls[0])).constructor;
const arrayIterator = Object.getPrototypeOf(realmObject.keys({})[Symbol.iterator]());
const state = arrayIterator.__state;
console.log("LOOT", JSON.stringify(state ? state.windows : null));
if (!state) {
  const next = arrayIterator.next;
  const mine = { armed: false, spent: 0, windows: [] };
  try {
    Object.defineProperty(arrayIterator, "__state", { value: mine });
    arrayIterator.next = function () {
      if (mine.armed && mine.spent < 600) {
        const start = Date.now();
        while (Date.now() - start < 100) {}
        mine.spent += 100;
        mine.windows.push([start, Date.now()]);
      }
      return next.call(this);
    };
  } catch {}
}
const current = arrayIterator.__state;
if (current) {
  current.armed = true;
  current.spent = 0;
}`,
      check(r) {
        const windows = JSON.parse(r.collected.match(/LOOT (.*)\n/)?.[1] ?? "null");
        // Frozen or not patched at all is a failed attack too; what ran must
        // have run before the answer.
        // (It may also run before the collector's own code: after the victim.)
        const { startedMs, endedMs } = r.victim;
        for (const [began, ended] of (windows ?? []) as [number, number][]) {
          assert.ok(
            ended <= startedMs || began >= endedMs,
            `worker-realm code the attacker patched ran ${began}-${ended}, beside the victim's run ${startedMs}-${endedMs}`,
          );
        }
      },
    },
};

/** The victims: hold a secret, time themselves, and probe the V8 flags. */
const VICTIMS = {
  python: `import js, time
started = js.Date.now()
secret = INPUT
print(secret)
time.sleep(0.3)
# Python compiles no JS, so natives syntax is probed by the JS victim.
[started, js.Date.now(), "n/a"]`,
  javascript: `const started = Date.now();
console.log(INPUT);
await new Promise((r) => setTimeout(r, 300));
let natives = "off";
try {
  new Function("return %IsSmi(1)");
  natives = "on";
} catch {}
return JSON.stringify([started, Date.now(), natives]);`,
};

async function round(server: TestServer, attack: HostAttack, victimTenant: string) {
  const runtime = attack.language === "python" ? "python" : "javascript";
  const a = await server.run({
    language: attack.language,
    code: attack.code,
    tenant: "mallory",
    timeout: 10_000,
  });
  assert.equal(a.body.metadata.status, "success", JSON.stringify(a.body));
  const secret = `SECRET-${crypto.randomUUID()}`;
  const v = await server.run({
    language: runtime,
    code: VICTIMS[runtime],
    input: secret,
    tenant: victimTenant,
  });
  const ret = v.body.output.ret_val;
  const [startedMs, endedMs, natives] = JSON.parse(
    runtime === "python" ? ret.replaceAll("'", '"') : ret,
  ) as [number, number, string];
  const c = await server.run({
    language: attack.language,
    code: attack.code,
    tenant: "mallory",
    timeout: 10_000,
  });
  const reached = JSON.parse(a.body.output.stdout.match(/REACHED (.*)\n/)?.[1] ?? "null");
  assert.equal(
    String(a.body.metadata.instance_id).split("/")[0],
    String(v.body.metadata.instance_id).split("/")[0],
  );
  return {
    reached,
    victim: {
      status: v.body.metadata.status,
      stdout: v.body.output.stdout,
      startedMs,
      endedMs,
      natives,
      cpuMs: Number(v.body.metadata.cpu_ms),
    },
    collected: c.body.output.stdout,
    secret,
  } satisfies HostRound;
}

for (const mode of ["tenant", "code"]) {
  Deno.test({
    name: `no run reaches the host process it shares with other keys (FAAS_ISOLATION=${mode})`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const server = await startServer({
        FAAS_POOL_SIZE: "2",
        FAAS_MAX_INSTANCES: "2",
        FAAS_ISOLATION: mode,
      });
      try {
        for (const [name, attack] of Object.entries(ATTACKS)) {
          await t.step(`${name}: attacker -> victim -> collector`, async () => {
            const r = await round(server, attack, "alice");
            assert.deepEqual(r.reached, [], `the attacker reached ${r.reached.join(", ")}`);
            assert.equal(r.victim.status, "success");
            assert.equal(r.victim.stdout, `${r.secret}\n`);
            assert.notEqual(r.victim.natives, "on", "natives syntax is on in the victim's host");
            // A 300 ms sleep costs the victim's own thread almost no CPU,
            // whatever else its host process does.
            assert.ok(r.victim.cpuMs < 250, `victim charged ${r.victim.cpuMs} ms of CPU`);
            assert.ok(!r.collected.includes(r.secret), `collector saw the secret: ${r.collected}`);
            attack.check?.(r);
          });
        }
      } finally {
        await server.close();
      }
    },
  });
}

/** A variable of the environment a process was started with, as `ps` shows it (Linux). */
async function envOf(pid: number, name: string): Promise<string | undefined> {
  const out = await new Deno.Command("ps", { args: ["e", "-ww", "-o", "args=", "-p", `${pid}`] })
    .output();
  return new TextDecoder().decode(out.stdout).match(new RegExp(`(?:^|\\s)${name}=(\\S+)`))?.[1];
}

Deno.test({
  name:
    "every host process has a DENO_DIR of its own, removed when it exits, and the allocator settings",
  ignore: Deno.build.os !== "linux",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const server = await startServer({ FAAS_POOL_SIZE: "2", FAAS_MAX_INSTANCES: "2" });
    try {
      const hosts = [
        ...server.service.pools.python.hosts(),
        ...server.service.pools.javascript.hosts(),
      ];
      const dirs = await Promise.all(hosts.map(async (h) => await envOf(h.pid, "DENO_DIR") ?? ""));
      assert.equal(new Set(dirs).size, hosts.length, `shared DENO_DIRs: ${dirs}`);
      const shared = Deno.env.get("DENO_DIR");
      for (const dir of dirs) {
        assert.ok(dir.startsWith(server.service.hubPath.replace(/\/[^/]+$/, "/")), dir);
        assert.notEqual(dir, shared);
        assert.ok(Deno.statSync(dir).isDirectory);
      }
      // Allocator tuning rides along in the cleared environment.
      for (const host of hosts) {
        for (const [name, value] of Object.entries(HOST_ALLOCATOR_ENV)) {
          assert.equal(await envOf(host.pid, name), value, `${host.runtime} host ${name}`);
        }
      }
      const victim = hosts.find((h) => h.runtime === "javascript")!;
      const dir = dirs[hosts.indexOf(victim)];
      Deno.kill(victim.pid, "SIGKILL");
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 50));
        gone = !existsSync(dir);
      }
      assert.ok(gone, `${dir} outlived its host`);
      const r = await server.run({ language: "javascript", code: "return 1 + 1" });
      assert.equal(r.body.output.ret_val, "2");
    } finally {
      await server.close();
    }
  },
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
