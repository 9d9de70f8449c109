/**
 * A host's spares: instances bound to no key yet, which a new key's first
 * run takes instead of waiting for a start. Which one a new key takes, how
 * many to start, and which to drop once a stream of new keys has passed.
 */
import type { Host, HostedInstance } from "./host.ts";

/** What {@linkcode sparesToStart} reads of one host (see {@linkcode countSpares}). */
export interface SpareCount {
  /** Its instances bound to no key yet, ready or starting. */
  spares: number;
  /** Those of them still starting. */
  starting: number;
  /** Whether the host holds no run. */
  idle: boolean;
}

/**
 * How many spares to start on a host now to reach `target`: those up to
 * `base` (the configured number) at once; those beyond it, for a fast
 * stream of new keys, one at a time, only on an idle host and only while
 * `room()` says memory allows, so that making them never crowds out runs.
 */
export function sparesToStart(
  host: SpareCount,
  target: number,
  base: number,
  room: () => boolean,
): number {
  let { spares, starting } = host;
  let start = 0;
  for (; spares < target; spares++) {
    if (spares >= base && (starting > 0 || !host.idle || !room())) break;
    starting++;
    start++;
  }
  return start;
}

/** A host's spares counted for {@linkcode sparesToStart}. */
export function countSpares(host: Host): SpareCount {
  let spares = 0;
  let starting = 0;
  for (const instance of host.instances()) {
    if (instance.key !== undefined) continue;
    spares++;
    if (instance.state === "starting") starting++;
  }
  return { spares, starting, idle: host.state === "idle" };
}

/** Where a new key's first run can go among idle shared hosts. */
export interface SpareChoice {
  /** A spare to take: a ready one if any, else one still starting. */
  spare?: HostedInstance;
  /** The idle shared host holding the fewest instances, to start one in. */
  emptiest?: Host;
}

/** Finds a spare for a new key's first run on an idle shared host. */
export function chooseSpare(hosts: Iterable<Host>): SpareChoice {
  let spare: HostedInstance | undefined;
  let emptiest: Host | undefined;
  for (const host of hosts) {
    if (host.state !== "idle" || host.dedicatedTo !== undefined) continue;
    if (!emptiest || host.size < emptiest.size) emptiest = host;
    for (const instance of host.instances()) {
      if (instance.key !== undefined || instance.state === "gone") continue;
      // A ready spare beats one still starting.
      if (!spare || (instance.state === "idle" && spare.state !== "idle")) spare = instance;
    }
  }
  return { spare, emptiest };
}

/** The ready spares of `host` beyond `target`, to drop once new keys have slowed. */
export function surplusSpares(host: Host, target: number): HostedInstance[] {
  const surplus: HostedInstance[] = [];
  let spares = 0;
  for (const instance of host.instances()) {
    if (instance.key !== undefined || instance.state !== "idle") continue;
    if (++spares > target) surplus.push(instance);
  }
  return surplus;
}

/** Shared hosts that are up (idle or busy): the hosts a spare target is spread over. */
export function liveSharedHosts(hosts: Iterable<Host>): number {
  let live = 0;
  for (const host of hosts) {
    if ((host.state === "idle" || host.state === "busy") && host.dedicatedTo === undefined) live++;
  }
  return live;
}
