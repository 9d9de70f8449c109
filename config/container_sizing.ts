/**
 * Defaults sized to the container's limits: with a memory limit, the
 * hosts' warm budget, the number of hosts and the memory each run may take
 * are chosen so that the server, its idle hosts and their runs fit inside
 * it; with a CPU limit, the scheduler counts that many cores. Only values
 * the operator did not set are chosen.
 */
import type { ContainerLimits } from "./container_limits.ts";

/** What the server process itself needs, MiB (its heap, HTTP, the job store). */
export const SERVER_RESERVE_MB = 160;
/** Idle resident memory of a host with its spare, MiB (Python ~180, JS ~65: docs/performance.md). */
const HOST_IDLE_MB = 200;
/** Memory a host may take for a run, beyond the run's own limit, MiB. */
const RUN_HEADROOM_MB = 128;

/** The settings sizing may choose. */
export interface SizedSettings {
  FAAS_WARM_MEMORY_MB: number;
  FAAS_POOL_SIZE: number;
  FAAS_MAX_INSTANCES: number;
  FAAS_MEMORY_LIMIT_MB: number;
}

/** What sizing chose, and the words for the start-up line. */
export interface Sizing {
  chosen: Partial<SizedSettings>;
  cores?: number;
  summary?: string;
}

/**
 * Sizes what `isSet` says the operator left unset, from `limits`; the
 * current values stand for the operator's where they are set.
 */
export function sizeForContainer(
  limits: ContainerLimits,
  current: SizedSettings,
  isSet: (name: keyof SizedSettings) => boolean,
): Sizing {
  const chosen: Partial<SizedSettings> = {};
  const take = <K extends keyof SizedSettings>(name: K, value: number) => {
    if (!isSet(name)) chosen[name] = value;
    return isSet(name) ? current[name] : value;
  };
  const sizing: Sizing = { chosen };
  const words: string[] = [];
  if (limits.memoryBytes !== undefined) {
    const limitMb = Math.floor(limits.memoryBytes / 2 ** 20);
    const available = Math.max(0, limitMb - SERVER_RESERVE_MB);
    // Hosts: each idle with its spare, plus one run in progress.
    const maxInstances = take(
      "FAAS_MAX_INSTANCES",
      clamp(Math.floor(available / (HOST_IDLE_MB + 128 + RUN_HEADROOM_MB)), 2, 8),
    );
    const pool = take(
      "FAAS_POOL_SIZE",
      Math.min(maxInstances, clamp(Math.floor(available / 400), 2, 4)),
    );
    // Runs on every host at once must fit beside the hosts' idle memory.
    const perRun = take(
      "FAAS_MEMORY_LIMIT_MB",
      clamp(
        Math.floor((available - maxInstances * HOST_IDLE_MB) / maxInstances) - RUN_HEADROOM_MB,
        128,
        256,
      ),
    );
    const warm = take(
      "FAAS_WARM_MEMORY_MB",
      clamp(available - Math.min(maxInstances, 2) * (perRun + RUN_HEADROOM_MB), 256, 2048),
    );
    words.push(
      `memory limit ${limitMb} MiB: warm budget ${warm} MiB, pool ${pool}, ` +
        `at most ${maxInstances} hosts, ${perRun} MiB per run`,
    );
  }
  if (limits.cpus !== undefined) {
    sizing.cores = Math.max(1, Math.ceil(limits.cpus));
    words.push(`CPU limit ${Math.round(limits.cpus * 100) / 100}: ${sizing.cores} core(s)`);
  }
  if (words.length) sizing.summary = `Sized for the container (${words.join("; ")})`;
  return sizing;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}
