/**
 * Stops the service when the process that launched it through npm (`npx`)
 * is gone. `npx` does not pass SIGTERM on to Deno's npm launcher, so
 * signalling it would otherwise leave the service serving, orphaned. Under
 * `npm exec` the chain is npm → Deno's launcher → `deno task` → this
 * process; when the launcher dies, `deno task` is re-parented, which this
 * notices by asking `ps` every `everyMs`.
 */

/** The parent's parent pid of `pid`, or undefined when `ps` cannot tell. */
async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("ps", { args: ["-o", "ppid=", "-p", String(pid)] }).output();
    const ppid = Number(new TextDecoder().decode(out.stdout).trim());
    return out.success && ppid > 0 ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Who started this process through npm: our parent and its parent, as found at start-up. */
export interface Launcher {
  parent: number;
  grandparent: number;
}

/**
 * Our parent and its parent when started through npm (`npm_command` is
 * set); undefined otherwise or when `ps` cannot tell. Read first thing at
 * start-up: read later, the launcher may already be gone (a SIGTERM while
 * the service starts), and its replacement would be taken for it.
 */
export async function findLauncher(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<Launcher | undefined> {
  if (!env.npm_command) return undefined;
  const parent = Deno.ppid;
  const grandparent = await parentOf(parent);
  return grandparent === undefined ? undefined : { parent, grandparent };
}

/**
 * Calls `onOrphaned` once our parent or our parent's parent is no longer
 * `launcher`'s: checked at once, then every `everyMs`. Returns a function
 * that stops watching.
 */
export function watchLauncher(
  launcher: Launcher | undefined,
  onOrphaned: () => void,
  everyMs = 1000,
): () => void {
  if (!launcher) return () => {};
  let done = false;
  const check = async () => {
    if (done) return;
    const gone = Deno.ppid !== launcher.parent ||
      (await parentOf(launcher.parent)) !== launcher.grandparent;
    if (gone && !done) {
      done = true;
      clearInterval(timer);
      onOrphaned();
    }
  };
  const timer = setInterval(check, everyMs);
  check();
  return () => {
    done = true;
    clearInterval(timer);
  };
}
