/**
 * What each language offers a run: versions, aliases, Python packages and
 * preloaded modules, JS globals. Served by `GET /runtimes`.
 */
import { LANGUAGE_ALIASES } from "./run_request.ts";
import { JS_RUN_GLOBALS } from "../workers/js_web_globals.ts";
import { PYTHON_PRELOAD } from "../workers/python_preload.ts";
import type { Language } from "../protocol/host_messages.ts";
import type { InstalledPackage } from "../python/python_packages.ts";

/** One language as `GET /runtimes` lists it. */
export interface RuntimeInfo {
  language: Language;
  version: string;
  aliases: string[];
  engine: Record<string, string>;
  /** Python: packages beyond the standard library. */
  packages?: InstalledPackage[];
  /** Python: modules imported before any run. */
  preloaded?: string[];
  /** JS/TS: globals beyond ECMAScript's own. */
  globals?: string[];
  notes: string;
}

/** What the description needs to know about the service's Python. */
export interface PythonFacts {
  pyodideDir: string;
  packages: readonly InstalledPackage[];
  /** Modules preloaded besides the standard ones. */
  preload: readonly string[];
}

/** Describes every language; reads Pyodide's version files (once, at start). */
export function describeRuntimes(python: PythonFacts): RuntimeInfo[] {
  const lock = readJson(`${python.pyodideDir}/pyodide-lock.json`);
  const pkg = readJson(`${python.pyodideDir}/package.json`);
  const info = (lock.info ?? {}) as Record<string, unknown>;
  const aliases = (language: Language) =>
    Object.entries(LANGUAGE_ALIASES).filter(([, l]) => l === language).map(([a]) => a);
  const v8 = { deno: Deno.version.deno, v8: Deno.version.v8 };
  const js = {
    globals: [...JS_RUN_GLOBALS],
    notes: "No fetch, package, host file, network or environment access; require() and " +
      "static import reach the run's own files only; process and Deno hold only exit, " +
      "argv/args, an empty env, stdout/stderr writers and reads of the run's files.",
  };
  return [
    {
      language: "python",
      version: String(info.python ?? "unknown"),
      aliases: aliases("python"),
      engine: { pyodide: String(pkg.version ?? "unknown") },
      packages: [...python.packages],
      preloaded: [...PYTHON_PRELOAD, ...python.preload],
      notes: "CPython compiled to WebAssembly (Pyodide), with its standard library. " +
        "No network, subprocesses or host files.",
    },
    { language: "javascript", version: v8.v8, aliases: aliases("javascript"), engine: v8, ...js },
    {
      language: "typescript",
      version: Deno.version.typescript,
      aliases: aliases("typescript"),
      engine: v8,
      ...js,
      notes: `Types are stripped, not checked; enums and namespaces are transformed. ${js.notes}`,
    },
  ];
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return {};
  }
}
