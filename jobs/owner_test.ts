/** Owners of jobs: key and tenant together, and who their runs are counted for. */
import assert from "node:assert/strict";
import { accountOfOwner, keyOfOwner, ownerOf } from "./owner.ts";

Deno.test("an owner is the key and the tenant; its account follows the usage tenant rule", () => {
  assert.equal(ownerOf("k1", "a/b:c"), "k1/a%2Fb%3Ac");
  assert.equal(keyOfOwner(ownerOf("k1", "a/b:c")), "k1");
  assert.deepEqual(accountOfOwner(ownerOf("k1", "a/b:c")), { tenant: "a/b:c", keyId: "k1" });
  assert.deepEqual(accountOfOwner(ownerOf("k1", undefined)), { tenant: "k1", keyId: "k1" });
  assert.deepEqual(accountOfOwner(ownerOf(undefined, "t")), { tenant: "t", keyId: "" });
  assert.deepEqual(accountOfOwner(ownerOf(undefined, undefined)), { tenant: "", keyId: "" });
});
