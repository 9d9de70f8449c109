/**
 * A throwaway `DENO_DIR` for each host process.
 *
 * Deno keeps state of its own under `DENO_DIR` that no permission guards:
 * the Cache API writes to `location_data/` even for a worker without write
 * access, and anything there is shared by every process using that
 * directory and kept across restarts. Workers have no way to reach the
 * Cache API, and a host's own directory makes sure that even if one did,
 * what it wrote would be seen by nobody else and be gone when the host is.
 *
 * The module and npm caches are read-mostly and expensive to rebuild, so
 * they are linked from the shared directory; Deno's SQLite caches are not
 * (a symlinked database would get its write-ahead log beside the link), so
 * each host starts them empty.
 */

/** Entries of the shared directory a host's own links to. */
const SHARED_ENTRIES = ["npm", "gen", "remote", "registries"];

/** Where Deno keeps its cache for this process (its own rule). */
export function sharedDenoDir(env: (name: string) => string | undefined = Deno.env.get): string {
  const explicit = env("DENO_DIR");
  if (explicit) return explicit;
  const home = env("HOME") ?? "";
  if (Deno.build.os === "darwin") return `${home}/Library/Caches/deno`;
  if (Deno.build.os === "windows") return `${env("LOCALAPPDATA") ?? home}\\deno`;
  return `${env("XDG_CACHE_HOME") || `${home}/.cache`}/deno`;
}

/**
 * Creates the `DENO_DIR` of one host at `path` (under the service's private
 * directory), linking the shared caches that exist. Remove it with
 * {@linkcode removeHostDenoDir} once the host has exited.
 */
export function createHostDenoDir(shared: string, path: string): string {
  Deno.mkdirSync(path, { mode: 0o700 });
  for (const entry of SHARED_ENTRIES) {
    try {
      Deno.statSync(`${shared}/${entry}`);
    } catch {
      continue;
    }
    Deno.symlinkSync(`${shared}/${entry}`, `${path}/${entry}`);
  }
  return path;
}

/** Removes a host's `DENO_DIR`; the links go, never what they point to. */
export function removeHostDenoDir(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch {
    // Already gone (the service's private directory was removed first).
  }
}
