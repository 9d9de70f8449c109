/**
 * Keys and the audit log in Redis, shared by every replica: a key revoked
 * on one is refused by all from their next request, since every request
 * looks its key up here.
 *
 * A key is a hash `faas:key:<id>`, found by its secret's hash through
 * `faas:keyhash:<hash>`, listed through the sorted set `faas:keys`. The
 * audit log is the sorted set `faas:audit` of JSON entries by time; the
 * settings changed while running, the hash `faas:settings` of JSON values.
 */
import { createClient } from "redis";
import { closeRedis } from "../jobs/redis_client.ts";
import type { AdminStore, AuditEntry, AuditQuery, KeyRecord, Role } from "./types.ts";

const P = "faas:";
const KEYS = `${P}keys`;
const AUDIT = `${P}audit`;
const SETTINGS = `${P}settings`;
const key = (id: string) => `${P}key:${id}`;
const byHash = (hash: string) => `${P}keyhash:${hash}`;

function keyOf(h: Record<string, string>): KeyRecord | undefined {
  if (!h.id) return undefined;
  return {
    id: h.id,
    tenant: h.tenant,
    role: h.role as Role,
    name: h.name,
    createdAt: Number(h.created_at),
    hash: h.hash,
  };
}

/** The admin store shared by replicas. */
export class RedisAdminStore implements AdminStore {
  #client;
  #ready: Promise<unknown>;

  constructor(url: string) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls.
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect();
  }

  async createKey(k: KeyRecord): Promise<void> {
    await this.#ready;
    await this.#client.multi()
      .hSet(key(k.id), {
        id: k.id,
        tenant: k.tenant,
        role: k.role,
        name: k.name,
        created_at: String(k.createdAt),
        hash: k.hash,
      })
      .set(byHash(k.hash), k.id)
      .zAdd(KEYS, { score: k.createdAt, value: k.id })
      .exec();
  }

  async listKeys(): Promise<KeyRecord[]> {
    await this.#ready;
    const ids = await this.#client.zRange(KEYS, 0, -1);
    const found = await Promise.all(ids.map((id) => this.getKey(id)));
    return found.filter((k): k is KeyRecord => k !== undefined);
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    await this.#ready;
    return keyOf(await this.#client.hGetAll(key(id)));
  }

  async keyByHash(hash: string): Promise<KeyRecord | undefined> {
    await this.#ready;
    const id = await this.#client.get(byHash(hash));
    return id ? await this.getKey(id) : undefined;
  }

  async deleteKey(id: string): Promise<KeyRecord | undefined> {
    await this.#ready;
    const found = await this.getKey(id);
    if (!found) return undefined;
    const [removed] = await this.#client.multi()
      .del(key(id))
      .del(byHash(found.hash))
      .zRem(KEYS, id)
      .exec() as unknown as number[];
    // Another replica revoked it in between: not ours to report.
    return Number(removed) === 1 ? found : undefined;
  }

  async appendAudit(entries: AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    await this.#ready;
    await this.#client.zAdd(
      AUDIT,
      entries.map((e) => ({ score: e.at, value: JSON.stringify(e) })),
    );
  }

  async queryAudit(q: AuditQuery): Promise<{ entries: AuditEntry[]; total: number }> {
    await this.#ready;
    const raw = await this.#client.zRangeByScore(AUDIT, q.from ?? "-inf", q.to ?? "+inf");
    const matching = raw.map((text) => JSON.parse(text) as AuditEntry)
      .filter((e) =>
        (q.action === undefined || e.action === q.action) &&
        (q.actor === undefined || e.actor === q.actor)
      )
      .reverse();
    return { entries: matching.slice(q.offset, q.offset + q.limit), total: matching.length };
  }

  async auditActions(): Promise<string[]> {
    await this.#ready;
    const raw = await this.#client.zRange(AUDIT, 0, -1);
    return [...new Set(raw.map((t) => (JSON.parse(t) as AuditEntry).action))].sort();
  }

  async deleteAuditBefore(before: number): Promise<number> {
    await this.#ready;
    return await this.#client.zRemRangeByScore(AUDIT, "-inf", `(${before}`);
  }

  async auditStats(): Promise<{ count: number; oldest?: number; bytes: number }> {
    await this.#ready;
    const [count, first, bytes] = await Promise.all([
      this.#client.zCard(AUDIT),
      this.#client.zRangeWithScores(AUDIT, 0, 0),
      // Redis's own estimate of the set's memory: no entry crosses the network.
      this.#client.memoryUsage(AUDIT),
    ]);
    return {
      count: Number(count),
      ...(first.length && { oldest: first[0].score }),
      bytes: Number(bytes ?? 0),
    };
  }

  async runtimeSettings(): Promise<Record<string, unknown>> {
    await this.#ready;
    const raw = await this.#client.hGetAll(SETTINGS) as Record<string, string>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v)]));
  }

  async setRuntimeSetting(key: string, value: unknown, _at: number): Promise<void> {
    await this.#ready;
    await this.#client.hSet(SETTINGS, key, JSON.stringify(value));
  }

  async close(): Promise<void> {
    await this.#ready;
    await closeRedis(this.#client);
  }
}
