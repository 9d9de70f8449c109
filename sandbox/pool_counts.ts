/** A pool's hosts and instances counted by state, for /health and /metrics. */
import type { Host } from "./host.ts";
import type { InstanceCounts, PoolCounts } from "./pool_types.ts";

/** Hosts by state. */
export function countHosts(hosts: Iterable<Host>): PoolCounts {
  const counts = { total: 0, idle: 0, busy: 0, starting: 0 };
  for (const host of hosts) {
    counts.total++;
    if (host.state === "idle") counts.idle++;
    else if (host.state === "busy") counts.busy++;
    else if (host.state === "starting") counts.starting++;
  }
  return counts;
}

/** Instances by state: bound to a key, spare, or starting. */
export function countInstances(hosts: Iterable<Host>): InstanceCounts {
  const counts = { keyed: 0, spare: 0, starting: 0 };
  for (const host of hosts) {
    for (const instance of host.instances()) {
      if (instance.state === "starting") counts.starting++;
      else if (instance.key !== undefined) counts.keyed++;
      else counts.spare++;
    }
  }
  return counts;
}
