/**
 * Who a request is for. Where the tenant comes from is the operator's
 * choice (`FAAS_TENANT_FROM`, see config.ts): by default the caller's own
 * word (the body's `tenant`, else `X-Tenant-Id`); from a header a trusted
 * gateway sets; or from a body field of a backend that alone can reach the
 * service. Whatever else the request says about its tenant must agree with
 * the trusted source, or it is refused naming the field.
 */
import { BadRequestError, ForbiddenError } from "../core/errors.ts";
import type { TenantSource } from "../config/config.ts";
import { quote, TENANT_PATTERN } from "./run_request.ts";
import type { Context } from "hono";
import type { AppEnv } from "./app_env.ts";

/** The header a caller may name its tenant with when no other source is set. */
export const TENANT_HEADER = "X-Tenant-Id";

/** How to read one request header (case-insensitive). */
export type HeaderReader = (name: string) => string | undefined;

function checked(value: unknown, field: string): string {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !TENANT_PATTERN.test(text)) {
    throw new BadRequestError(`Invalid request: check ${field}`, [
      { field, message: "Must be 1 to 128 printable ASCII characters" },
    ]);
  }
  return text;
}

function at(body: unknown, path: readonly string[]): unknown {
  let value = body;
  for (const part of path) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function mustAgree(field: string, given: string | undefined, tenant: string, from: string): void {
  if (given === undefined || given === tenant) return;
  throw new ForbiddenError(`Tenant refused: check ${field}`, [{
    field,
    message: `Must be absent or equal the tenant ${quote(tenant)} given by ${from}`,
  }]);
}

/**
 * The tenant of a request, before any API key's namespace, or undefined
 * for none. `body` is the run request (undefined for requests without one,
 * which name their tenant by header). `field` prefixes field names in
 * errors (a batch entry). `bound` is the tenant of a key made for one
 * tenant (see `Principal`). Throws BadRequestError for a malformed tenant,
 * ForbiddenError for one the trusted source does not allow.
 */
export function requestTenant(
  body: unknown,
  header: HeaderReader,
  source: TenantSource,
  field = "",
  bound?: string,
): string | undefined {
  const name = (f: string) => field ? `${field}.${f}` : f;
  const raw = body === undefined ? undefined : at(body, ["tenant"]);
  const given = raw === undefined ? undefined : checked(raw, name("tenant"));
  const headerName = source.from === "header" ? source.name : TENANT_HEADER;
  const rawHeader = header(headerName);
  const fromHeader = rawHeader === undefined ? undefined : checked(rawHeader, headerName);
  // A key made for one tenant: its requests are that tenant's, whatever
  // else they say, and saying another is refused.
  if (bound !== undefined) {
    mustAgree(name("tenant"), given, bound, "the API key");
    mustAgree(headerName, fromHeader, bound, "the API key");
    return bound;
  }
  if (source.from === "asserted") return given ?? fromHeader;
  if (source.from === "header") {
    if (fromHeader === undefined) {
      if (given === undefined) return undefined;
      throw new ForbiddenError(`Tenant refused: check ${name("tenant")}`, [{
        field: name("tenant"),
        message: `Only the ${headerName} header set by the gateway may name a tenant`,
      }]);
    }
    mustAgree(name("tenant"), given, fromHeader, `the ${headerName} header`);
    return fromHeader;
  }
  // From a body field. A request without a body (reading a job) names its
  // tenant by header, as the body did when it was submitted.
  if (body === undefined) return fromHeader;
  const path = source.path.join(".");
  const value = at(body, source.path);
  if (value === undefined) {
    throw new BadRequestError(`Invalid request: check ${name(path)}`, [{
      field: name(path),
      message: "Field is required: the service takes the tenant from it (FAAS_TENANT_FROM)",
    }]);
  }
  const tenant = checked(value, name(path));
  if (path !== "tenant") mustAgree(name("tenant"), given, tenant, path);
  mustAgree(headerName, fromHeader, tenant, path);
  return tenant;
}

/**
 * The tenant inside an API key's namespace: with keys, two keys naming the
 * same tenant never share, and a key that names no tenant is one.
 */
export function namespaced(tenant: string | undefined, keyId: string | undefined) {
  if (keyId === undefined) return tenant;
  return tenant === undefined ? `key:${keyId}` : `key:${keyId}/${tenant}`;
}

/** Who sent a request: its API key's id and, for a key bound to one tenant, that tenant. */
export interface Caller {
  keyId?: string;
  tenant?: string;
}

/** The caller of a request, as the key check found it. */
export function callerOf(c: Context<AppEnv>): Caller {
  const principal = c.get("principal");
  return {
    keyId: c.get("keyId"),
    tenant: principal?.fixedTenant ? principal.tenant : undefined,
  };
}
