/**
 * Quota limits in Redis, shared by every replica: the hash `faas:quotas`
 * maps each tenant to its quota as JSON.
 */
import { createClient } from "redis";
import { closeRedis } from "../jobs/redis_client.ts";
import type { Quota, QuotaStore } from "./quota_types.ts";

const QUOTAS = "faas:quotas";

/** Quota limits shared by replicas. */
export class RedisQuotaStore implements QuotaStore {
  #client;
  #ready: Promise<unknown>;

  constructor(url: string) {
    this.#client = createClient({ url });
    // Connection problems surface from the calls.
    this.#client.on("error", () => {});
    this.#ready = this.#client.connect();
  }

  async listQuotas(): Promise<Quota[]> {
    await this.#ready;
    const all = await this.#client.hGetAll(QUOTAS);
    return Object.values(all).map((text) => JSON.parse(text) as Quota)
      .sort((a, b) => a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0);
  }

  async getQuota(tenant: string): Promise<Quota | undefined> {
    await this.#ready;
    const text = await this.#client.hGet(QUOTAS, tenant);
    return text ? JSON.parse(text) as Quota : undefined;
  }

  async putQuota(quota: Quota): Promise<void> {
    await this.#ready;
    await this.#client.hSet(QUOTAS, quota.tenant, JSON.stringify(quota));
  }

  async deleteQuota(tenant: string): Promise<Quota | undefined> {
    await this.#ready;
    const [text, removed] = await this.#client.multi()
      .hGet(QUOTAS, tenant)
      .hDel(QUOTAS, tenant)
      .exec() as unknown as [string | null, number];
    // Another replica removed it in between: not ours to report.
    return text && Number(removed) === 1 ? JSON.parse(text) as Quota : undefined;
  }

  async close(): Promise<void> {
    await this.#ready;
    await closeRedis(this.#client);
  }
}
