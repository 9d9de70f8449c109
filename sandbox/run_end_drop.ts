/**
 * Whether an instance is dropped once a run on it is over, and why: its
 * key can never come back, it reached its run limit, or it is retiring.
 */
import { isSessionKey, isSingleUse } from "../core/isolation_key.ts";
import type { HostedInstance } from "./host.ts";
import type { DropReason } from "./pool_types.ts";

/**
 * An instance's run limit: `maxRuns` lowered by up to 10 %, spread by its
 * id, so that instances started together are not all replaced at the same
 * moment.
 */
export function runLimit(instanceId: string, maxRuns: number): number {
  const spread = [...instanceId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) / 10000;
  return Math.max(1, Math.round(maxRuns * (1 - spread)));
}

/**
 * Why `instance` leaves now that its run is over, or undefined when it
 * stays for its key's next run. A session's instance has no run limit: it
 * is the session's state.
 */
export function dropAfterRun(instance: HostedInstance, maxRuns: number): DropReason | undefined {
  if (instance.state === "gone") return undefined;
  if (instance.retiring || instance.state !== "idle") return "retired";
  const key = instance.key;
  if (key !== undefined && isSingleUse(key)) return "single_use";
  if (instance.runs >= runLimit(instance.id, maxRuns) && !isSessionKey(key ?? "")) {
    return "run_limit";
  }
  return undefined;
}
