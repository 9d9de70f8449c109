/**
 * Judge0 CE's language ids for Python, JavaScript and TypeScript, each
 * mapped to this service's runtime of that language. The ids are Judge0
 * CE's own: 71, 63 and 74 from its language seeds (db/languages/active.rb),
 * and the newer versions Judge0 CE lists for the same languages (Python 92
 * and 100, JavaScript 93, 97 and 102, TypeScript 94 and 101), so a client
 * that picked any of them runs unchanged. Every id of a language runs the
 * same runtime, and its name says which.
 */
import type { Language } from "../protocol/host_messages.ts";
import type { RuntimeInfo } from "./runtimes.ts";

/** One Judge0 language as this service runs it. */
export interface Judge0Language {
  id: number;
  /** What really runs, with versions from `GET /runtimes`. */
  name: string;
  language: Language;
  /** Judge0's file name for the program: the run's `sys.argv[0]` or module name. */
  sourceFile: string;
}

/** Judge0 CE's ids of each language, the oldest first (the one a plain job is shown with). */
export const JUDGE0_LANGUAGE_IDS: Readonly<Record<Language, readonly number[]>> = {
  python: [71, 92, 100],
  javascript: [63, 93, 97, 102],
  typescript: [74, 94, 101],
};

const SOURCE_FILES: Readonly<Record<Language, string>> = {
  python: "script.py",
  javascript: "script.js",
  typescript: "script.ts",
};

/** The name of each language's runtime, from what `GET /runtimes` reports. */
function runtimeName(language: Language, runtimes: readonly RuntimeInfo[]): string {
  const info = runtimes.find((r) => r.language === language);
  const deno = info?.engine.deno;
  switch (language) {
    case "python":
      return info ? `Python (${info.version}, Pyodide ${info.engine.pyodide})` : "Python";
    case "javascript":
      return deno ? `JavaScript (Deno ${deno}, V8 ${info?.engine.v8})` : "JavaScript";
    case "typescript":
      return deno ? `TypeScript (Deno ${deno}, types stripped)` : "TypeScript";
  }
}

/** The languages a service with `runtimes` offers, by id. */
export class Judge0Languages {
  readonly #byId = new Map<number, Judge0Language>();

  constructor(runtimes: readonly RuntimeInfo[]) {
    for (const [language, ids] of Object.entries(JUDGE0_LANGUAGE_IDS) as [Language, number[]][]) {
      const name = runtimeName(language, runtimes);
      for (const id of ids) {
        this.#byId.set(id, { id, name, language, sourceFile: SOURCE_FILES[language] });
      }
    }
  }

  /** Every language, by id. */
  list(): Judge0Language[] {
    return [...this.#byId.values()].sort((a, b) => a.id - b.id);
  }

  /** The language with `id`, or undefined. */
  get(id: number): Judge0Language | undefined {
    return this.#byId.get(id);
  }

  /** The id a run of `language` made without one (a plain job) is shown with. */
  defaultOf(language: Language): Judge0Language {
    return this.#byId.get(JUDGE0_LANGUAGE_IDS[language][0])!;
  }
}
