/**
 * The tenancy records the admin API keeps: API keys with their tenant and
 * role, the audit log, and the settings changed while running. Two stores follow this contract: SQLite beside
 * the jobs (`sqlite_admin_store.ts`) and Redis shared by replicas
 * (`redis_admin_store.ts`), chosen by `FAAS_JOB_STORE` like the jobs.
 */

/** What a key may do: everything under /api/v1, read it, or only run code. */
export type Role = "admin" | "viewer" | "runner";

/** The roles, for validation and documentation. */
export const ROLES: readonly Role[] = ["admin", "viewer", "runner"];

/** Who is calling, once its key is known. */
export interface Principal {
  /** The key's public id (never the secret). */
  keyId: string;
  role: Role;
  /**
   * The tenant the key's runs belong to (usage, quotas). For a key made
   * with the admin API it is the only tenant its requests may name; for a
   * `FAAS_API_KEYS` key it is the key id, and requests may still name
   * tenants within the key's namespace, as before keys had tenants.
   */
  tenant?: string;
  /** Whether a request naming another tenant than `tenant` is refused (403). */
  fixedTenant: boolean;
  /** Where the key comes from. */
  source: "FAAS_API_KEYS" | "FAAS_ADMIN_KEYS" | "api";
}

/** An API key made with the admin API, as stored: the secret only as its SHA-256. */
export interface KeyRecord {
  id: string;
  tenant: string;
  role: Role;
  name: string;
  createdAt: number;
  /** SHA-256 of the secret, hex. */
  hash: string;
}

/** One entry of the audit log. */
export interface AuditEntry {
  id: string;
  /** Epoch ms. */
  at: number;
  /** The acting key's id ("" for none). */
  actor: string;
  /** The acting key's role ("" for none). */
  role: string;
  /** `key.create`, `quota.update`, … or `run` (FAAS_AUDIT_RUNS). */
  action: string;
  /** What it acted on (a key id, a tenant, a job id, a path). */
  target: string;
  /** `ok`, or `refused` for an admin call that was not allowed. */
  outcome: "ok" | "refused";
  before?: unknown;
  after?: unknown;
  requestId: string;
  /** For a refusal: why. */
  reason?: string;
}

/** A filter over the audit log, newest first. */
export interface AuditQuery {
  action?: string;
  actor?: string;
  from?: number;
  to?: number;
  limit: number;
  offset: number;
}

/** Keys and audit entries, kept where the jobs are. */
export interface AdminStore {
  /** Adds a key; its id and hash are new. */
  createKey(key: KeyRecord): Promise<void>;
  /** Every key, oldest first. */
  listKeys(): Promise<KeyRecord[]>;
  getKey(id: string): Promise<KeyRecord | undefined>;
  /** The key whose secret hashes to `hash`, if it is not revoked. */
  keyByHash(hash: string): Promise<KeyRecord | undefined>;
  /** Removes a key; the removed record, or undefined if there was none. */
  deleteKey(id: string): Promise<KeyRecord | undefined>;
  appendAudit(entries: AuditEntry[]): Promise<void>;
  /** Entries matching the query, newest first, and how many match in all. */
  queryAudit(query: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }>;
  /** Distinct actions recorded so far. */
  auditActions(): Promise<string[]>;
  /** Deletes audit entries older than `before`; how many went. */
  deleteAuditBefore(before: number): Promise<number>;
  /** How many audit entries are kept, the oldest one's time, and roughly their bytes. */
  auditStats(): Promise<{ count: number; oldest?: number; bytes: number }>;
  /** The settings changed while running, by key (values as they were set). */
  runtimeSettings(): Promise<Record<string, unknown>>;
  /** Keeps a setting changed while running (any JSON value), replacing an earlier one. */
  setRuntimeSetting(key: string, value: unknown, at: number): Promise<void>;
  close(): Promise<void>;
}
