/**
 * The memory and CPU limits of the container the service runs in, read
 * from its cgroup (v2: `memory.max`, `cpu.max`; v1: `memory.limit_in_bytes`,
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`), so that defaults fit inside.
 */

/** What the cgroup allows; a field is absent when unlimited or unknown. */
export interface ContainerLimits {
  memoryBytes?: number;
  /** CPUs' worth of time per period (0.5 for half a core). */
  cpus?: number;
  /** Where the limits were read, for the start-up line. */
  source?: string;
}

/** Larger than any real limit: v1 reports "unlimited" as a number near 2^63. */
const UNLIMITED = 2 ** 60;

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return undefined;
  }
}

/**
 * This process's cgroup paths by controller from `/proc/self/cgroup`
 * ("" for the v2 unified hierarchy).
 */
export function ownCgroups(text: string | undefined): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of (text ?? "").split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    for (const c of controllers.split(",")) paths.set(c, path);
  }
  return paths;
}

/** The first of `candidates` that can be read. */
function first(candidates: string[]): [string, string] | undefined {
  for (const path of candidates) {
    const value = read(path);
    if (value !== undefined) return [path, value];
  }
  return undefined;
}

/**
 * Reads the limits under `root` (normally /sys/fs/cgroup), for this
 * process's own cgroup as `/proc/self/cgroup` names it (`selfCgroup`),
 * falling back to the root's own files as containers usually mount them.
 */
export function readContainerLimits(
  root = "/sys/fs/cgroup",
  selfCgroup = read("/proc/self/cgroup"),
): ContainerLimits {
  const own = ownCgroups(selfCgroup);
  const at = (controllerDir: string, ownPath: string | undefined, file: string) => [
    ...(ownPath && ownPath !== "/" ? [`${root}${controllerDir}${ownPath}/${file}`] : []),
    `${root}${controllerDir}/${file}`,
  ];
  const limits: ContainerLimits = {};
  const sources: string[] = [];
  // v2 first: one hierarchy with both files.
  const v2Memory = first(at("", own.get(""), "memory.max"));
  const v1Memory = v2Memory
    ? undefined
    : first(at("/memory", own.get("memory"), "memory.limit_in_bytes"));
  const memory = v2Memory ?? v1Memory;
  if (memory && /^\d+$/.test(memory[1]) && Number(memory[1]) < UNLIMITED) {
    limits.memoryBytes = Number(memory[1]);
    sources.push(memory[0]);
  }
  const v2Cpu = first(at("", own.get(""), "cpu.max"));
  if (v2Cpu) {
    const [quota, period] = v2Cpu[1].split(/\s+/);
    if (/^\d+$/.test(quota) && Number(period) > 0) {
      limits.cpus = Number(quota) / Number(period);
      sources.push(v2Cpu[0]);
    }
  } else {
    const cpuPath = own.get("cpu") ?? own.get("cpu,cpuacct");
    const quota = first(at("/cpu", cpuPath, "cpu.cfs_quota_us"));
    const period = first(at("/cpu", cpuPath, "cpu.cfs_period_us"));
    if (quota && period && Number(quota[1]) > 0 && Number(period[1]) > 0) {
      limits.cpus = Number(quota[1]) / Number(period[1]);
      sources.push(quota[0]);
    }
  }
  if (sources.length) limits.source = sources.join(", ");
  return limits;
}
