/** The only files a Python worker may read: Pyodide's runtime and stdlib. */
export const PYODIDE_FILES = [
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
] as const;

/**
 * The directory with Pyodide's files, as a real path (worker read
 * permissions are checked against real paths); by default the npm package.
 * A directory that does not exist is passed on as given: its hosts fail to
 * start and are retried with backoff, which /health and the metrics report.
 */
export function resolvePyodideDir(configured: string | undefined): string {
  const dir = configured ?? new URL("../node_modules/pyodide", import.meta.url).pathname;
  try {
    return Deno.realPathSync(dir);
  } catch {
    return dir;
  }
}

/** Which of Pyodide's files `dir` lacks (none when it is complete). */
export function missingPyodideFiles(dir: string): string[] {
  return PYODIDE_FILES.filter((file) => {
    try {
      return !Deno.statSync(`${dir}/${file}`).isFile;
    } catch {
      return true;
    }
  });
}
