/**
 * A host's worker threads as the kernel sees them: found by the name Deno
 * gives each worker's thread (`worker-<n>`, numbered in the order a process
 * creates its workers), their CPU time read from `/proc`, and their
 * scheduling priority lowered. The server does this for its hosts; the
 * hosts themselves may not read `/proc` or change priorities.
 *
 * Deno lets only a fully privileged process read another process's `/proc`
 * entries, so a short shell command reads them; it runs only for runs that
 * last a while. Lowering is one way: without `CAP_SYS_NICE` (which
 * containers do not get by default) a thread's priority cannot be raised
 * again.
 */
import { setPriority } from "node:os";

/** The nice value a demoted thread runs at: the lowest priority there is. */
export const DEMOTED_NICE = 19;

/** One thread of a process over a short sample. */
export interface ThreadSample {
  /** Kernel task id. */
  tid: number;
  /** Its name (`comm`). */
  name: string;
  /**
   * Time it wanted a core during the sample, ms: running, or runnable and
   * waiting for one (a busy thread on a crowded machine gets only part).
   */
  busyMs: number;
}

// Names and scheduler times (schedstat: ns on a core, ns waiting for one)
// of every thread of process $1, then the times again after $2 seconds.
const SAMPLE_SCRIPT = 'cd "/proc/$1/task" || exit 1; grep -H "" */comm */schedstat; ' +
  'sleep "$2"; grep -H "" */schedstat';

/**
 * Samples the threads of process `pid` over `gapMs`: each one's name and
 * the CPU time it used meanwhile. Empty if the process is gone or the
 * sample could not be taken.
 */
export async function sampleThreads(pid: number, gapMs: number): Promise<ThreadSample[]> {
  let text: string;
  try {
    const out = await new Deno.Command("/bin/sh", {
      args: ["-c", SAMPLE_SCRIPT, "sh", String(pid), (gapMs / 1000).toFixed(3)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    text = new TextDecoder().decode(out.stdout);
  } catch {
    return [];
  }
  const names = new Map<number, string>();
  const cpu = new Map<number, number[]>();
  for (const line of text.split("\n")) {
    const m = /^(\d+)\/(comm|schedstat):(.*)$/.exec(line);
    if (!m) continue;
    const tid = Number(m[1]);
    if (m[2] === "comm") names.set(tid, m[3]);
    else {
      const [running, waiting] = m[3].split(" ").map(Number);
      const ns = running + waiting;
      if (Number.isFinite(ns)) cpu.set(tid, [...(cpu.get(tid) ?? []), ns]);
    }
  }
  const samples: ThreadSample[] = [];
  for (const [tid, name] of names) {
    const times = cpu.get(tid) ?? [];
    // A thread that ended during the sample has one reading: it used nothing more.
    const busyMs = times.length === 2 ? (times[1] - times[0]) / 1e6 : 0;
    samples.push({ tid, name, busyMs });
  }
  return samples;
}

/** Gives thread `tid` the lowest scheduling priority; false if that failed. */
export function demoteThread(tid: number): boolean {
  try {
    // On Linux a task id names one thread here, not its whole process.
    setPriority(tid, DEMOTED_NICE);
    return true;
  } catch {
    return false;
  }
}
