/**
 * Who owns a job: the API key and the tenant together. A job is visible,
 * and its Idempotency-Key taken, only for callers with both the same key and
 * the same tenant; per-key limits still apply to the key alone.
 *
 * The owner is the key id ("" without API keys), then, when a tenant is
 * named, `/` and the tenant URI-encoded. Key ids are hex, so the first `/`
 * ends the key; the encoding leaves no `:` in an owner, so store keys built
 * as `<owner>:<name>` never run into one another.
 */

/** The owner of a job submitted, or read, with API key `keyId` for `tenant`. */
export function ownerOf(keyId: string | undefined, tenant: string | undefined): string {
  const key = keyId ?? "";
  return tenant === undefined ? key : `${key}/${encodeURIComponent(tenant)}`;
}

/** The API key id of an owner ("" without API keys), which per-key limits apply to. */
export function keyOfOwner(owner: string): string {
  const slash = owner.indexOf("/");
  return slash === -1 ? owner : owner.slice(0, slash);
}
