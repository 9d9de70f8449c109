/// <reference lib="deno.worker" />
/**
 * What both worker kinds share besides the protocol they speak with their
 * host (re-exported from protocol/worker_channel.ts): their own thread's
 * CPU time, staying alive through a run's stray errors, and cheap
 * macrotasks.
 */
import process from "node:process";

export * from "../protocol/worker_channel.ts";

// Taken when this module loads, before any user code runs.
const threadCpuUsage = process.threadCpuUsage.bind(process);

function threadCpuMs(): number {
  const { user, system } = threadCpuUsage();
  return (user + system) / 1000;
}

let lapStartedMs = 0;

/**
 * CPU milliseconds this worker's own thread has used since the last call,
 * whatever other threads of the host did meanwhile. Called once when the
 * worker is ready and once at the end of each run, so a run's CPU is that
 * of waking for it, running it and resetting after it: reading the clock
 * costs a `/proc` read (30-90 µs), so it is read once per run, not twice.
 */
export function cpuLap(): number {
  const now = threadCpuMs();
  const lap = now - lapStartedMs;
  lapStartedMs = now;
  return lap;
}

/**
 * Stops user errors and rejections that escape a run from ending the worker:
 * the run that caused them has already been reported or will time out.
 */
export function keepWorkerAlive(): void {
  self.addEventListener("unhandledrejection", (e) => e.preventDefault());
  self.addEventListener("error", (e) => e.preventDefault());
}

/**
 * Returns a scheduler for macrotasks. `setTimeout(fn, 0)` costs 1-2 ms in
 * Deno; a message to ourselves is a macrotask too, at a few microseconds.
 */
export function macrotasks(): (fn: () => void) => void {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  return (fn) => {
    queue.push(fn);
    channel.port2.postMessage(null);
  };
}
