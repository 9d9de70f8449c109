/**
 * How busy a pool's shared hosts are, as the scheduler reads it when it
 * decides whether another host would serve waiting runs sooner. Hosts given
 * to one session are left out: they serve no other key.
 */
import type { Host } from "./host.ts";

/** Shared hosts (ones that serve any key) holding a run. */
export function* busyShared(hosts: Iterable<Host>): Iterable<Host> {
  for (const host of hosts) {
    if (host.state === "busy" && host.dedicatedTo === undefined) yield host;
  }
}

/**
 * Whether every busy shared host whose run counts as busy (not one that
 * yields the cores) has reported its CPU over a stretch since it took it.
 */
export function busyRatesKnown(hosts: Iterable<Host>): boolean {
  for (const host of busyShared(hosts)) {
    if (!host.yielding && !host.rateSince(host.since)) return false;
  }
  return true;
}

/**
 * Shared hosts held by a run that waits for its new instance to start:
 * each keeps about a core busy from the first moment, before its own
 * report (four times a second) shows it.
 */
export function startingForRuns(hosts: Iterable<Host>): number {
  let n = 0;
  for (const host of busyShared(hosts)) {
    for (const instance of host.instances()) {
      if (instance.state === "starting" && instance.key !== undefined) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** How long the most recently taken busy shared host has been busy, ms; undefined if none. */
export function youngestBusyMs(hosts: Iterable<Host>, now: number): number | undefined {
  let youngest: number | undefined;
  for (const host of busyShared(hosts)) {
    const age = now - host.since;
    if (youngest === undefined || age < youngest) youngest = age;
  }
  return youngest;
}

/**
 * Cores the hosts kept busy lately (from their last reports), leaving out
 * hosts whose run yields the cores to everything else.
 */
export function cpuRate(hosts: Iterable<Host>): number {
  let rate = 0;
  for (const host of hosts) if (!host.yielding) rate += host.cpuRate;
  return rate;
}
