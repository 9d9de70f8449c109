/**
 * The link-plan patched copy of Pyodide's glue (workers/glue_link_patch.ts),
 * written once at start-up into the service's private directory, where
 * hosts may read it: a host checks a link plan with it and its Python
 * workers import it. A file rather than text handed over, because Deno
 * analyses a module from a blob or data URL again for every worker
 * (~165 ms); a file it analyses once per host and caches its code.
 */
import { FAST_LOAD_PINS } from "../workers/pyodide_fast_load.ts";
import { patchGlue } from "../workers/glue_link_patch.ts";

const GLUE = "pyodide.asm.mjs";

/**
 * Writes the patched glue into `dir` and returns its path; undefined when
 * Pyodide's glue is not the pinned build (hosts then link the stock way).
 * Rejects when the file cannot be written.
 */
export async function writeLinkedGlue(
  pyodideDir: string,
  dir: string,
): Promise<string | undefined> {
  const bytes = await Deno.readFile(`${pyodideDir}/${GLUE}`);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== FAST_LOAD_PINS[GLUE]) return undefined;
  const path = `${dir}/pyodide.asm.linked.mjs`;
  // Written under another name and renamed: a host never reads half of it.
  await Deno.writeTextFile(`${path}.tmp`, patchGlue(new TextDecoder().decode(bytes)), {
    mode: 0o600,
  });
  await Deno.rename(`${path}.tmp`, path);
  return path;
}
