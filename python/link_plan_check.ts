/**
 * The start-up check of a link plan: runs workers/link_plan_probe.ts in a
 * throwaway worker (the same permissions as a Python worker, plus the
 * patched glue) and yields the plan only when it reproduced the stock link.
 */
import type { LinkPlan } from "../protocol/link_plan.ts";

/** How long the check may take before it gives up on the plan, ms. */
const PROBE_TIMEOUT_MS = 20_000;

/** What the check needs. */
export interface LinkPlanCheck {
  /** Directory with Pyodide's files. */
  pyodideDir: string;
  /** pyodide.asm.wasm, compiled by the host. */
  wasmModule: WebAssembly.Module;
  /** The link-plan patched glue (glue_link_patch.ts). */
  gluePath: string;
  /** The real paths a Python worker may read. */
  readable: string[];
  /** The worker that checks (a test substitutes its own). */
  probeUrl?: URL;
}

/** A plan that passed the check, and the real path of the glue that applies it. */
export interface CheckedLinkPlan {
  plan: LinkPlan;
  gluePath: string;
}

/**
 * The checked plan, or undefined after one line on stderr saying why not
 * (hosts then link the stock way).
 */
export async function checkLinkPlan(check: LinkPlanCheck): Promise<CheckedLinkPlan | undefined> {
  let worker: Worker | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const gluePath = Deno.realPathSync(check.gluePath);
    worker = new Worker(
      check.probeUrl ?? new URL("../workers/link_probe_worker.ts", import.meta.url),
      {
        type: "module",
        name: "link-plan-probe",
        deno: {
          permissions: {
            env: false,
            ffi: false,
            import: false,
            net: false,
            read: [...check.readable, gluePath],
            run: false,
            sys: false,
            write: false,
          },
        },
      },
    );
    const reply = await new Promise<{ plan?: LinkPlan; error?: string }>((resolve) => {
      timer = setTimeout(() => resolve({ error: "timed out" }), PROBE_TIMEOUT_MS);
      worker!.onmessage = (e) => resolve(e.data);
      worker!.onerror = (e) => {
        e.preventDefault();
        resolve({ error: e.message });
      };
      worker!.postMessage({ indexURL: check.pyodideDir, wasmModule: check.wasmModule, gluePath });
    });
    if (reply.plan) return { plan: reply.plan, gluePath };
    console.error(`Link plan not used, linking the stock way: ${reply.error}`);
  } catch (e) {
    console.error(
      `Link plan not used, linking the stock way: ${e instanceof Error ? e.message : e}`,
    );
  } finally {
    clearTimeout(timer);
    worker?.terminate();
  }
  return undefined;
}
