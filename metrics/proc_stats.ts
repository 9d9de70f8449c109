/**
 * CPU time and memory of processes, read from Linux's /proc: prom-client's
 * own process collectors read 0 under Deno. Every reader returns undefined
 * where /proc is not there (another OS) or the process is gone.
 */

/** Clock ticks per second; 100 on every Linux this runs on. */
const TICKS = 100;
const PAGE = 4096;

/** CPU seconds (user + system) of process `pid`. */
export function cpuSeconds(pid: number | "self"): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // Fields after the command name (which may hold spaces) start at ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/** Resident and virtual memory of process `pid`, bytes. */
export function memoryBytes(pid: number | "self"): { rss: number; vsize: number } | undefined {
  const statm = read(`/proc/${pid}/statm`);
  if (!statm) return undefined;
  const [size, resident] = statm.split(" ").map(Number);
  return { rss: resident * PAGE, vsize: size * PAGE };
}

/** Open file descriptors of this process and their limit. */
export function fileDescriptors(): { open: number; max?: number } | undefined {
  try {
    let open = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) open++;
    const limit = read("/proc/self/limits")?.match(/Max open files\s+(\d+)/)?.[1];
    return { open, max: limit ? Number(limit) : undefined };
  } catch {
    return undefined;
  }
}

/** When this process started, seconds since the epoch. */
export function startTimeSeconds(): number | undefined {
  const stat = read("/proc/self/stat");
  const uptime = read("/proc/uptime");
  if (!stat || !uptime) return undefined;
  const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  const bootSeconds = Date.now() / 1000 - Number(uptime.split(" ")[0]);
  return Math.round(bootSeconds + startTicks / TICKS);
}

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}
