/**
 * A pool's instances by isolation key: which instances may serve a key's
 * runs, which one a run should take, and which ones have been idle long
 * enough to drop. An instance is in the index from the moment it takes a
 * key until it is forgotten (dropped, lost, or its host gone).
 */
import { isSessionKey } from "../core/isolation_key.ts";
import type { HostedInstance } from "./host.ts";

/** Instances of one pool, by the key they are bound to. */
export class KeyIndex {
  #byKey = new Map<string, Set<HostedInstance>>();

  /** Binds `instance` to `key` for the rest of its life. */
  bind(instance: HostedInstance, key: string): void {
    instance.key = key;
    let set = this.#byKey.get(key);
    if (!set) this.#byKey.set(key, set = new Set());
    set.add(instance);
  }

  /** Takes `instance` out of the index; its key keeps no trace of it. */
  forget(instance: HostedInstance): void {
    if (instance.key === undefined) return;
    const set = this.#byKey.get(instance.key);
    set?.delete(instance);
    if (set?.size === 0) this.#byKey.delete(instance.key);
  }

  /** The instances bound to `key` (a copy: safe to drop them while iterating). */
  of(key: string): HostedInstance[] {
    return [...this.#byKey.get(key) ?? []];
  }

  /** Whether some instance is bound to `key`. */
  has(key: string): boolean {
    return (this.#byKey.get(key)?.size ?? 0) > 0;
  }

  /**
   * The instance a run of `key` should take now: idle, not retiring, on an
   * idle host, and the most recently used of those (its code and data are
   * the likeliest to be warm).
   */
  warmest(key: string): HostedInstance | undefined {
    let warm: HostedInstance | undefined;
    for (const instance of this.#byKey.get(key) ?? []) {
      if (
        instance.state === "idle" && !instance.retiring && instance.host.state === "idle" &&
        (!warm || instance.lastUsed > warm.lastUsed)
      ) warm = instance;
    }
    return warm;
  }

  /** Whether an instance of `key` was demoted: its runs keep a core busy. */
  demoted(key: string): boolean {
    for (const instance of this.#byKey.get(key) ?? []) if (instance.demoted) return true;
    return false;
  }

  /**
   * The least recently used idle instance of a key other than a session's
   * (a session's instance is its state, ended with the session only).
   */
  leastRecentlyUsed(): HostedInstance | undefined {
    let lru: HostedInstance | undefined;
    for (const [key, set] of this.#byKey) {
      if (isSessionKey(key)) continue;
      for (const instance of set) {
        if (instance.state === "idle" && (!lru || instance.lastUsed < lru.lastUsed)) lru = instance;
      }
    }
    return lru;
  }

  /** Idle instances of keys other than sessions' that ran nothing for `idleMs`. */
  idleFor(idleMs: number, now: number): HostedInstance[] {
    const found: HostedInstance[] = [];
    for (const [key, set] of this.#byKey) {
      if (isSessionKey(key)) continue;
      for (const instance of set) {
        if (instance.state === "idle" && now - instance.lastUsed >= idleMs) found.push(instance);
      }
    }
    return found;
  }

  /** Every indexed instance (a copy). */
  all(): HostedInstance[] {
    const found: HostedInstance[] = [];
    for (const set of this.#byKey.values()) found.push(...set);
    return found;
  }
}
