/**
 * API keys from the configuration. Its own module so that the configuration
 * (and `deno task snapshot`, which reads it) does not depend on the routes.
 */

/** Reads keys from a comma-separated list and/or a file (one per line, # comments). */
export function loadKeys(list: string | undefined, file: string | undefined): string[] {
  const keys = (list ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  if (file) {
    for (const line of Deno.readTextFileSync(file).split("\n")) {
      const key = line.replace(/#.*/, "").trim();
      if (key) keys.push(key);
    }
  }
  return [...new Set(keys)];
}
