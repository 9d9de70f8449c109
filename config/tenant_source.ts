/** `FAAS_TENANT_FROM`: where a request's tenant comes from. */

/**
 * Where a request's tenant comes from: the caller's own word (`asserted`:
 * the body's `tenant`, else `X-Tenant-Id`), a header a trusted gateway
 * sets, or a body field of a backend that alone can reach the service.
 */
export type TenantSource =
  | { from: "asserted" }
  | { from: "header"; name: string }
  | { from: "body"; path: readonly string[] };

/** Parses `header:<Name>` or `body:<a.b.c>`; undefined when malformed. */
export function parseTenantSource(raw: string): TenantSource | undefined {
  const m = raw.match(/^(header|body):(.+)$/);
  if (!m) return undefined;
  if (m[1] === "header") {
    return /^[A-Za-z0-9-]+$/.test(m[2]) ? { from: "header", name: m[2] } : undefined;
  }
  const path = m[2].split(".");
  return path.every((p) => /^[A-Za-z_][\w-]*$/.test(p))
    ? { from: "body", path: Object.freeze(path) }
    : undefined;
}
