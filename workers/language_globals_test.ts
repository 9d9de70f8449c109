import assert from "node:assert/strict";
import vm from "node:vm";
import { LANGUAGE_GLOBALS } from "./language_globals.ts";

Deno.test("the written-out language globals are a fresh context's", () => {
  const fresh = Reflect.ownKeys(vm.runInContext("globalThis", vm.createContext()))
    .filter((k): k is string => typeof k === "string");
  assert.deepEqual([...LANGUAGE_GLOBALS].sort(), fresh.sort());
});
