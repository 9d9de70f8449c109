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
import type { Account } from "../core/account.ts";

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

/**
 * Who a job's runs are counted for, from its owner: for jobs queued before
 * requests carried their account (see `RunRequest.account`).
 */
export function accountOfOwner(owner: string): Account {
  const keyId = keyOfOwner(owner);
  const slash = owner.indexOf("/");
  const tenant = slash === -1 ? undefined : decodeURIComponent(owner.slice(slash + 1));
  return { tenant: tenant ?? keyId, keyId };
}

/**
 * The tenant of an owner as the admin API shows it: the tenant its jobs
 * were submitted for, else its API key id; undefined without either.
 */
export function tenantOfOwner(owner: string): string | undefined {
  const slash = owner.indexOf("/");
  if (slash === -1) return owner || undefined;
  return decodeURIComponent(owner.slice(slash + 1));
}

/**
 * What an owner's tenant part is for `tenant` (see `tenantOfOwner`), to
 * compare with the stored owners.
 */
export function ownerTenantPart(tenant: string): string {
  return encodeURIComponent(tenant);
}
