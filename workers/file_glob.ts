/**
 * Glob patterns naming the files a run hands back (`return_files`): `*` and
 * `?` match within one path segment, `**` (a whole segment) matches any
 * number of segments, against paths relative to the run's working directory.
 */

/** Most patterns one run may give. */
export const MAX_RETURN_PATTERNS = 20;
const MAX_PATTERN_CHARS = 255;

/**
 * Why `pattern` cannot be a `return_files` pattern, or undefined when it
 * can: a relative path of plain segments where `**` stands alone.
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_CHARS) {
    return `Must be 1 to ${MAX_PATTERN_CHARS} characters`;
  }
  if (pattern.startsWith("/")) return "Must be a relative path (no leading /)";
  if (/[\0\\]/.test(pattern)) return "Must not contain NUL or backslash characters";
  const segments = pattern.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    return "Must not contain empty, . or .. segments";
  }
  if (segments.some((s) => s.includes("**") && s !== "**")) {
    return `Must use ** only as a whole segment, as in "**/*.txt"`;
  }
  return undefined;
}

/** A regular expression matching the relative paths `pattern` names. */
export function globRegExp(pattern: string): RegExp {
  const segments = pattern.split("/");
  let source = "";
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "**") {
      source += last ? ".*" : "(?:[^/]+/)*";
      return;
    }
    for (const ch of segment) {
      if (ch === "*") source += "[^/]*";
      else if (ch === "?") source += "[^/]";
      else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    if (!last) source += "/";
  });
  return new RegExp(`^${source}$`, "s");
}

/** Whether a relative path matches any of `patterns` (each checked by globProblem). */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(globRegExp);
  return (name) => res.some((re) => re.test(name));
}
