import assert from "node:assert/strict";
import { BadRequestError, ForbiddenError } from "../core/errors.ts";
import type { TenantSource } from "../config/config.ts";
import { namespaced, requestTenant } from "./tenant.ts";

const headers = (h: Record<string, string>) => (name: string) =>
  Object.entries(h).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
const none = headers({});
const fails = (
  fn: () => unknown,
  kind: typeof BadRequestError | typeof ForbiddenError,
  field: string,
) => assert.throws(fn, (e: unknown) => e instanceof kind && e.details[0].field === field);

Deno.test("request tenant", async (t) => {
  await t.step("asserted: the body's tenant, else X-Tenant-Id", () => {
    const src: TenantSource = { from: "asserted" };
    assert.equal(requestTenant({ tenant: "a" }, headers({ "x-tenant-id": "b" }), src), "a");
    assert.equal(requestTenant({}, headers({ "x-tenant-id": "b" }), src), "b");
    assert.equal(requestTenant({}, none, src), undefined);
    fails(
      () => requestTenant({}, headers({ "x-tenant-id": "\t" }), src),
      BadRequestError,
      "X-Tenant-Id",
    );
  });

  await t.step("header: the trusted header alone names the tenant", () => {
    const src: TenantSource = { from: "header", name: "X-Tenant-Id" };
    assert.equal(requestTenant({}, headers({ "X-Tenant-Id": "alice" }), src), "alice");
    assert.equal(
      requestTenant({ tenant: "alice" }, headers({ "x-tenant-id": "alice" }), src),
      "alice",
    );
    fails(
      () => requestTenant({ tenant: "bob" }, headers({ "x-tenant-id": "alice" }), src),
      ForbiddenError,
      "tenant",
    );
    fails(() => requestTenant({ tenant: "bob" }, none, src), ForbiddenError, "tenant");
    assert.equal(requestTenant({}, none, src), undefined);
  });

  await t.step("body: a field of the request names it; the rest must agree", () => {
    const src: TenantSource = { from: "body", path: ["ext", "space_id"] };
    assert.equal(requestTenant({ ext: { space_id: "7420" } }, none, src), "7420");
    assert.equal(requestTenant({ ext: { space_id: 7420 } }, none, src), "7420");
    fails(() => requestTenant({ code: "1" }, none, src), BadRequestError, "ext.space_id");
    fails(
      () => requestTenant({ ext: { space_id: "" } }, none, src),
      BadRequestError,
      "ext.space_id",
    );
    fails(
      () => requestTenant({ ext: {} }, none, src, "runs.3"),
      BadRequestError,
      "runs.3.ext.space_id",
    );
    fails(
      () => requestTenant({ ext: { space_id: "1" }, tenant: "2" }, none, src),
      ForbiddenError,
      "tenant",
    );
    fails(
      () => requestTenant({ ext: { space_id: "1" } }, headers({ "x-tenant-id": "2" }), src),
      ForbiddenError,
      "X-Tenant-Id",
    );
    // Requests without a body (reading a job) name the tenant by header.
    assert.equal(requestTenant(undefined, headers({ "x-tenant-id": "1" }), src), "1");
  });

  await t.step("API keys namespace tenants", () => {
    assert.equal(namespaced("a", undefined), "a");
    assert.equal(namespaced("a", "k"), "key:k/a");
    assert.equal(namespaced(undefined, "k"), "key:k");
    assert.equal(namespaced(undefined, undefined), undefined);
  });
});
