/**
 * Keeps the hosts' resident memory under a budget by dropping idle
 * instances, least recently used first. Hosts report their resident
 * memory four times a second; until one has, each of its instances counts for a
 * fixed estimate.
 */
import type { Host, HostedInstance } from "./host.ts";

/** What the budget needs of a pool. */
export interface BudgetPool {
  hosts(): Host[];
  leastRecentlyUsed(): HostedInstance | undefined;
  evict(instance: HostedInstance): void;
}

/** Used per instance of a host that has not reported its memory yet. */
const FALLBACK_INSTANCE_BYTES = { python: 100 * 2 ** 20, javascript: 15 * 2 ** 20 };

/**
 * Resident memory of a session's own host before it has reported it: a
 * host with one instance (measured idle: about 170 MB for Python, 63 MB for
 * JavaScript).
 */
export const SESSION_HOST_ESTIMATE_BYTES = { python: 170 * 2 ** 20, javascript: 64 * 2 ** 20 };

/** Resident memory of a host as it reported it. */
export function reportedRss(host: Host): number | undefined {
  return host.rssBytes;
}

/** Resident memory of a host, reported or estimated. */
export function hostRssBytes(host: Host, read = reportedRss): number {
  return read(host) ?? host.size * FALLBACK_INSTANCE_BYTES[host.runtime];
}

/**
 * Drops idle instances until the hosts' memory is under `limitBytes` or no
 * idle keyed instance is left; returns how many it dropped. A dropped
 * instance's memory is taken to be its share of its host's.
 */
export function enforceBudget(
  pools: BudgetPool[],
  limitBytes: number,
  read = reportedRss,
): number {
  const rss = new Map<Host, number>();
  let total = 0;
  for (const pool of pools) {
    for (const host of pool.hosts()) {
      const bytes = hostRssBytes(host, read);
      rss.set(host, bytes);
      total += bytes;
    }
  }
  let evicted = 0;
  while (total > limitBytes) {
    let lru: { pool: BudgetPool; instance: HostedInstance } | undefined;
    for (const pool of pools) {
      const instance = pool.leastRecentlyUsed();
      if (instance && (!lru || instance.lastUsed < lru.instance.lastUsed)) lru = { pool, instance };
    }
    if (!lru) break;
    const host = lru.instance.host;
    total -= (rss.get(host) ?? 0) / Math.max(1, host.size);
    lru.pool.evict(lru.instance);
    evicted++;
  }
  return evicted;
}
