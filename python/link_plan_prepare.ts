/**
 * The link plan Python hosts link Pyodide by (workers/link_plan.ts),
 * prepared once per service start: the patched glue written into the
 * service's private directory, the plan recorded from a stock link and
 * checked to reproduce it (link_plan_check.ts), then written beside it
 * for hosts to read. Without it hosts link the stock way.
 */
import { PYODIDE_FILES } from "../protocol/pyodide_files.ts";
import { encodeLinkRecord } from "../protocol/link_plan_file.ts";
import { writeLinkedGlue } from "./linked_glue.ts";
import { checkLinkPlan } from "./link_plan_check.ts";

/** Where hosts find a checked plan and the glue that applies it. */
export interface PreparedLinkPlan {
  gluePath: string;
  planPath: string;
}

/**
 * Writes the patched glue and the checked plan into `workDir`; undefined
 * when Pyodide is not the pinned build or the plan does not reproduce the
 * stock link (the check says why on stderr). Rejects when a file cannot be
 * written.
 */
export async function prepareLinkPlan(
  pyodideDir: string,
  workDir: string,
): Promise<PreparedLinkPlan | undefined> {
  const gluePath = await writeLinkedGlue(pyodideDir, workDir);
  if (!gluePath) return undefined;
  const wasmModule = await WebAssembly.compile(
    await Deno.readFile(`${pyodideDir}/pyodide.asm.wasm`),
  );
  const readable = PYODIDE_FILES.map((f) => Deno.realPathSync(`${pyodideDir}/${f}`));
  const checked = await checkLinkPlan({ pyodideDir, wasmModule, gluePath, readable });
  if (!checked) return undefined;
  const planPath = `${workDir}/pyodide.linkplan.json`;
  await Deno.writeTextFile(`${planPath}.tmp`, encodeLinkRecord(checked.plan), { mode: 0o600 });
  await Deno.rename(`${planPath}.tmp`, planPath);
  return { gluePath, planPath };
}
