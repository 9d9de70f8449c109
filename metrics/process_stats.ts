/**
 * This process's CPU time, memory and start time, from Deno and Node APIs
 * that need no permission (Deno asks for all permissions to read /proc, and
 * prom-client's own process collectors read 0 under Deno).
 */
import process from "node:process";

/** CPU seconds (user + system) used by this process so far. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Resident memory of this process, bytes. */
export function rssBytes(): number {
  return Deno.memoryUsage().rss;
}

/** When this process started, seconds since the epoch. */
export function startTimeSeconds(): number {
  return Math.round(performance.timeOrigin / 1000);
}
