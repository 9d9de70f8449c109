/**
 * Standard-library modules imported into the Python snapshot, so a run's
 * `import` of them costs nothing. Listed by `GET /runtimes`.
 */
export const PYTHON_PRELOAD: readonly string[] = [
  "asyncio",
  "base64",
  "bisect",
  "collections",
  "copy",
  "csv",
  "dataclasses",
  "datetime",
  "decimal",
  "difflib",
  "enum",
  "fractions",
  "functools",
  "hashlib",
  "heapq",
  "itertools",
  "json",
  "math",
  "operator",
  "random",
  "re",
  "statistics",
  "string",
  "textwrap",
  "time",
  "typing",
  "unicodedata",
  "uuid",
];
