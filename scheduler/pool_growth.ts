/**
 * Whether another host would serve waiting runs sooner. A new host is a new
 * process whose code starts cold, so the pool grows only when every host is
 * held by a run that leaves the cores idle (sleeping, waiting, or demoted
 * and yielding them), never beside runs and instance starts that keep the
 * cores busy: another host would only share the same cores.
 */
import type { Runtime } from "../protocol/host_messages.ts";
import type { Pool } from "../sandbox/pool.ts";

/**
 * Share of the machine's cores the hosts may keep busy for the pool to
 * grow: above it a new host would compete with the runs it was meant to
 * help.
 */
export const SATURATED = 0.7;

/**
 * What to do for a runtime whose runs wait with every host held:
 * - `look_again`: the hosts have not reported yet how busy their runs keep
 *   the cores; decide shortly;
 * - `grow`: start another host;
 * - `make_room`: at the host cap, retire an idle host of the other runtime
 *   and start one of this runtime in its place;
 * - `none`: more hosts would not help (or one is on its way).
 */
export type Growth = "look_again" | "grow" | "make_room" | "none";

/** What {@linkcode decideGrowth} reads besides the pools. */
export interface GrowthInputs {
  /** Whether some waiting run (of the first few in its queue) matches. */
  waiting(matches: (key: string) => boolean): boolean;
  /** Host processes alive, all runtimes together. */
  totalHosts: number;
  /** Most host processes alive at once. */
  maxHosts: number;
  /** The machine's cores. */
  cores: number;
}

/** Decides whether `runtime`'s pool should grow for its waiting runs. */
export function decideGrowth(
  runtime: Runtime,
  pools: Record<Runtime, Pool>,
  inputs: GrowthInputs,
): Growth {
  const pool = pools[runtime];
  if (pool.counts().starting > 0 || !pool.canGrow()) return "none";
  // Runs of keys whose runs were demoted keep a core busy themselves;
  // others (new keys among them) are served sooner by another host when
  // the busy hosts' runs yield the cores.
  if (!inputs.waiting((key) => !pool.heavyKey(key))) return "none";
  const { python, javascript } = pools;
  // A run that just began shows in its host's CPU only from the report
  // after it began: until then the cores look idle whatever it does.
  if (!python.busyRatesKnown() || !javascript.busyRatesKnown()) return "look_again";
  // Demoted runs take the cores only when nothing else wants them, so their
  // hosts are left out of the rates. Instance starts are CPU-bound from
  // their first moment: they count as busy cores at once.
  const busyCores = Math.max(
    python.cpuRate() + javascript.cpuRate(),
    python.startingForRuns() + javascript.startingForRuns(),
  );
  if (busyCores >= inputs.cores * SATURATED) return "none";
  return inputs.totalHosts < inputs.maxHosts ? "grow" : "make_room";
}
