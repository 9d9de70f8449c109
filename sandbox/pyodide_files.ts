/** The only files a Python worker may read: Pyodide's runtime and stdlib. */
export const PYODIDE_FILES = [
  "pyodide.asm.wasm",
  "python_stdlib.zip",
  "pyodide-lock.json",
] as const;
