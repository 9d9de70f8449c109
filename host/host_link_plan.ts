/**
 * A host's copy of the link plan the server checked at start-up
 * (python/link_plan_prepare.ts): read from its file, its thunk module
 * compiled once for every worker of the host, and checked to fit the
 * module this host compiled. Workers check the rest as they link.
 */
import { decodeLinkRecord } from "../protocol/link_plan_file.ts";
import type { LinkPlan } from "../protocol/link_plan.ts";
import { compileLinkPlan, gotImportNames } from "../workers/link_plan.ts";

/** A plan ready for workers, and the real path of the glue that applies it. */
export interface HostLinkPlan {
  plan: LinkPlan;
  gluePath: string;
}

/**
 * The plan at `planPath` for `wasmModule`, or undefined after one line on
 * stderr saying why not (the host's workers then link the stock way).
 */
export function loadLinkPlan(
  planPath: string,
  gluePath: string,
  wasmModule: WebAssembly.Module,
): HostLinkPlan | undefined {
  try {
    // Real paths: worker permissions given by a symlinked path do not match.
    const glue = Deno.realPathSync(gluePath);
    const plan = compileLinkPlan(decodeLinkRecord(Deno.readTextFileSync(planPath)));
    const gotNames = gotImportNames(wasmModule);
    if (
      WebAssembly.Module.exports(wasmModule).length !== plan.exportCount ||
      gotNames.length !== plan.gotNames.length ||
      gotNames.some((n, i) => n !== plan.gotNames[i])
    ) {
      throw new Error("it does not fit this module");
    }
    return { plan, gluePath: glue };
  } catch (e) {
    console.error(
      `Link plan not used, linking the stock way: ${e instanceof Error ? e.message : e}`,
    );
    return undefined;
  }
}
