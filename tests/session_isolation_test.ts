/**
 * Sessions are isolation keys of their own: an attacker's session that
 * plants hooks everywhere it can reach, a victim's session (another API
 * key) holding a secret in its globals, files and input, and a collector
 * session of the attacker's key: the collector never sees the secret, and
 * the attacker's key cannot even find the victim's session.
 */
import assert from "node:assert/strict";
import { startServer } from "./helpers/server.ts";
import { sessionClient } from "./helpers/sessions.ts";

const KEY_A = "session-attacker-key-0123456789abcdef";
const KEY_B = "session-victim-key-0123456789abcdefgh";
const SECRET = "S3CRET-7f3a9c";

const PY_ATTACK = `import builtins, gc, os, sys, js
loot = []
def spy(phase, info, _loot=loot, _gc=gc):
    if phase == "start" and len(_loot) < 3:
        for o in _gc.get_objects():
            if type(o) is dict and "secret" in o:
                _loot.append(repr(o["secret"]))
gc.callbacks.append(spy)
builtins.LOOT = loot
os.environ["PLANTED"] = "1"
open("/tmp/planted", "w").write("planted")
js.globalThis.faasLoot = "planted"
"armed"`;

const PY_COLLECT = `import builtins, gc, os, js
found = []
for o in gc.get_objects():
    if type(o) is str and "${SECRET}" in o and o is not CODE_MARK:
        found.append("gc")
        break
found += ["builtins"] if getattr(builtins, "LOOT", None) else []
found += ["environ"] if "PLANTED" in os.environ else []
found += ["tmp"] if os.path.exists("/tmp/planted") or os.path.exists("secret.txt") else []
found += ["js"] if getattr(js.globalThis, "faasLoot", None) else []
found`;

const JS_ATTACK = `Object.prototype.loot = [];
const realPush = Array.prototype.push;
Array.prototype.push = function (...a) { Object.prototype.loot.push(String(a)); return realPush.apply(this, a); };
globalThis.planted = true;
"armed"`;

const JS_COLLECT = `[
  typeof planted !== "undefined" ? "global" : "",
  ({}).loot ? "proto" : "",
  typeof secret !== "undefined" ? "secret" : "",
].filter(Boolean)`;

Deno.test({
  name: "sessions are isolated from other sessions and other keys",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // One host per runtime: attacker, victim and collector share a process.
    const server = await startServer({
      FAAS_POOL_SIZE: "2",
      FAAS_MAX_INSTANCES: "2",
      FAAS_API_KEYS: `${KEY_A},${KEY_B}`,
    });
    const attacker = sessionClient(server.url, KEY_A);
    const victim = sessionClient(server.url, KEY_B);
    try {
      for (
        const [language, attack, collect] of [
          ["python", PY_ATTACK, PY_COLLECT],
          ["javascript", JS_ATTACK, JS_COLLECT],
        ]
      ) {
        await t.step(`${language}: attacker -> victim -> collector`, async () => {
          const a = (await attacker.create(language)).body.id;
          const armed = await attacker.run(a, attack);
          assert.equal(armed.body.output.ret_val, "armed", JSON.stringify(armed.body));
          const v = (await victim.create(language)).body.id;
          const setup = language === "python"
            ? `secret = INPUT["s"]\nopen("secret.txt", "w").write(secret)\nlen(secret)`
            : `var secret = INPUT.s\nsecret.length`;
          const held = await victim.run(v, setup, { input: { s: SECRET } });
          assert.equal(held.body.output.ret_val, String(SECRET.length), JSON.stringify(held.body));
          // The victim's session still holds it, and saw nothing planted.
          const check = await victim.run(
            v,
            language === "python" ? collect.replace("CODE_MARK", "secret") : collect,
          );
          assert.equal(check.body.metadata.status, "success", JSON.stringify(check.body));
          const seen: string[] = JSON.parse(check.body.output.ret_val);
          // Its own file and its own secret, nothing the attacker planted.
          assert.deepEqual(seen.filter((s) => !["gc", "tmp", "secret"].includes(s)), []);
          const kept = await victim.run(v, "secret");
          assert.equal(kept.body.output.ret_val, SECRET);
          // The collector: a new session of the attacker's key.
          const c = (await attacker.create(language)).body.id;
          const collected = await attacker.run(
            c,
            language === "python" ? collect.replace("CODE_MARK", "None") : collect,
          );
          assert.equal(collected.body.metadata.status, "success", JSON.stringify(collected.body));
          assert.deepEqual(JSON.parse(collected.body.output.ret_val), []);
          assert.ok(!JSON.stringify(collected.body).includes(SECRET));
          // The attacker's own session sees its plants, never the secret.
          const own = await attacker.run(
            a,
            language === "python" ? "repr(LOOT)" : "JSON.stringify(({}).loot)",
          );
          assert.ok(!JSON.stringify(own.body).includes(SECRET), JSON.stringify(own.body));
          // Another key cannot find, run in, or end the victim's session.
          assert.equal((await attacker.get(v)).status, 404);
          const run = await attacker.run(v, language === "python" ? "secret" : "secret");
          assert.equal(run.status, 404);
          assert.ok(!JSON.stringify(run.body).includes(SECRET));
          assert.equal((await attacker.remove(v)).status, 404);
          assert.ok(!(await attacker.list()).body.sessions.some((s: { id: string }) => s.id === v));
          assert.equal((await victim.get(v)).status, 200);
          // A stateless run of the attacker's key sees nothing either.
          const stateless = await fetch(`${server.url}/run_code`, {
            method: "POST",
            headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" },
            body: JSON.stringify({
              language,
              code: language === "python"
                ? collect.replace("CODE_MARK", "None")
                : `return ${collect}`,
            }),
          }).then((r) => r.json());
          assert.equal(stateless.metadata.status, "success", JSON.stringify(stateless));
          assert.deepEqual(JSON.parse(stateless.output.ret_val), []);
          for (const id of [a, c]) await attacker.remove(id);
          await victim.remove(v);
        });
      }
    } finally {
      await server.close();
    }
  },
});
