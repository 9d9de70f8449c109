import assert from "node:assert/strict";
import { isolationKey, isSessionKey, isSingleUse, sessionKey } from "./isolation_key.ts";

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("isolation keys", async (t) => {
  await t.step("code: the tenant plus the SHA-256 of language, code and files", async () => {
    const key = isolationKey("code", "acme", "python", "print(1)");
    assert.equal(key, `code:${JSON.stringify(["acme", await sha256Hex("python\0print(1)")])}`);
    const files = [{ name: "lib.py", content: "X = 1" }];
    assert.equal(
      isolationKey("code", undefined, "python", "print(1)", files),
      `code:${
        JSON.stringify([null, await sha256Hex(`python\0print(1)\0${JSON.stringify(files)}`)])
      }`,
    );
  });
  await t.step("code: equal runs share a key, any difference parts them", () => {
    const base = isolationKey("code", "acme", "python", "print(1)");
    assert.equal(isolationKey("code", "acme", "python", "print(1)"), base);
    const others = [
      isolationKey("code", "acme", "python", "print(2)"),
      isolationKey("code", "other", "python", "print(1)"),
      isolationKey("code", undefined, "python", "print(1)"),
      isolationKey("code", "acme", "javascript", "print(1)"),
      isolationKey("code", "acme", "python", "print(1)", [{ name: "a.py", content: "" }]),
      // The separator keeps language and code apart.
      isolationKey("code", "acme", "pytho", "n\0print(1)"),
    ];
    assert.equal(new Set([base, ...others]).size, others.length + 1);
    assert.ok(!isSingleUse(base));
  });
  await t.step("tenant: one key per tenant; none gets a single-use key", () => {
    assert.equal(
      isolationKey("tenant", "a", "python", "x"),
      isolationKey("tenant", "a", "js", "y"),
    );
    assert.notEqual(
      isolationKey("tenant", "a", "python", "x"),
      isolationKey("tenant", "b", "python", "x"),
    );
    const alone = isolationKey("tenant", undefined, "python", "x");
    assert.ok(isSingleUse(alone));
    assert.notEqual(alone, isolationKey("tenant", undefined, "python", "x"));
  });
  await t.step("run: every run a single-use key of its own", () => {
    const a = isolationKey("run", "acme", "python", "x");
    assert.ok(isSingleUse(a));
    assert.notEqual(a, isolationKey("run", "acme", "python", "x"));
  });
  await t.step("session keys are told apart from run keys", () => {
    assert.ok(isSessionKey(sessionKey("s1")));
    assert.ok(!isSessionKey(isolationKey("tenant", "s1", "python", "x")));
  });
});
