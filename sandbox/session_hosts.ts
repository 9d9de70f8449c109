/**
 * Hosts given to one session each (dedicated hosts), read and ended on a
 * pool's behalf. A session's instance gets a host of its own so that a kill
 * of that host ends only the session whose run caused it; such a host
 * serves no other key and stops when its session's instance is gone.
 */
import { isSessionKey } from "../core/isolation_key.ts";
import type { Host, HostedInstance } from "./host.ts";

/** How many of `hosts` are given to a session. */
export function countSessionHosts(hosts: Iterable<Host>): number {
  let n = 0;
  for (const host of hosts) if (host.dedicatedTo !== undefined) n++;
  return n;
}

/** The host given to session key `key` that has not stopped, if any. */
export function ownHost(hosts: Iterable<Host>, key: string): Host | undefined {
  if (!isSessionKey(key)) return undefined;
  for (const host of hosts) {
    if (host.dedicatedTo === key && host.state !== "stopped") return host;
  }
  return undefined;
}

/** Whether `host` holds a session's instance: retiring it would end the session. */
export function holdsSession(host: Host): boolean {
  for (const instance of host.instances()) {
    if (instance.key !== undefined && isSessionKey(instance.key)) return true;
  }
  return false;
}

/** Stops `host`, given to a session whose instance is gone, unless it holds a run. */
export function endSessionHost(host: Host): void {
  if (host.state === "starting") host.kill("idle");
  else if (host.state === "idle") host.retire("idle");
}

/**
 * Stops the host of `instance` if it was given to that instance's session:
 * the instance is gone, so the session is over or lost.
 */
export function endDedicated(instance: HostedInstance): void {
  const host = instance.host;
  if (host.dedicatedTo === undefined || host.dedicatedTo !== instance.key) return;
  if (host.state === "busy") host.retire("idle");
  else endSessionHost(host);
}
