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

/**
 * When started through npm (`npm_command` is set), calls `onOrphaned` once
 * our parent or our parent's parent changes. Returns a function that stops
 * watching.
 */
export async function watchLauncher(
  onOrphaned: () => void,
  everyMs = 1000,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<() => void> {
  if (!env.npm_command) return () => {};
  const parent = Deno.ppid;
  const grandparent = await parentOf(parent);
  if (grandparent === undefined) return () => {};
  const timer = setInterval(async () => {
    if (Deno.ppid !== parent || (await parentOf(parent)) !== grandparent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, everyMs);
  return () => clearInterval(timer);
}
