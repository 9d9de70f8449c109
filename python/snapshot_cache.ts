/**
 * A directory of Python memory snapshots kept across service starts, so a
 * restart (or a container built with `deno task snapshot`) skips the ~3 s of
 * making one. A snapshot is only valid for the exact Deno, Pyodide files and
 * worker sources it was made with: its file name carries a hash of all of
 * them, and its contents are checked against a recorded SHA-256 before use,
 * so a stale, truncated or altered file is never handed to a host.
 */

import { PYODIDE_FILES } from "../protocol/pyodide_files.ts";

/** What a worker imports: its own folder and the protocol it speaks. */
const WORKER_SOURCE_DIRS = [
  new URL("../workers/", import.meta.url),
  new URL("../protocol/", import.meta.url),
];

/** Pyodide's files a snapshot depends on: what workers read, and its JS glue. */
export const SNAPSHOT_INPUTS = [...PYODIDE_FILES, "pyodide.asm.mjs"];

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The cache key of a snapshot: a hash of everything that shapes its memory
 * (Deno's version, Pyodide's runtime files, the worker sources and the
 * `packages` fingerprint: installed wheels and preloaded modules).
 */
export async function snapshotKey(pyodideDir: string, packages = ""): Promise<string> {
  const parts = [`deno ${Deno.version.deno}`];
  if (packages) parts.push(`packages ${packages}`);
  for (const file of SNAPSHOT_INPUTS) {
    parts.push(`${file} ${await sha256Hex(await Deno.readFile(`${pyodideDir}/${file}`))}`);
  }
  for (const dir of WORKER_SOURCE_DIRS) {
    const sources = [...Deno.readDirSync(dir)]
      .map((e) => e.name)
      .filter((n) => n.endsWith(".ts") && !n.endsWith("_test.ts"))
      .sort();
    for (const name of sources) {
      const folder = dir.pathname.split("/").at(-2);
      parts.push(`${folder}/${name} ${await sha256Hex(await Deno.readFile(new URL(name, dir)))}`);
    }
  }
  return (await sha256Hex(parts.join("\n"))).slice(0, 32);
}

/** Paths of the snapshot stored under `key` and of its recorded digest. */
function paths(dir: string, key: string): { snapshot: string; digest: string } {
  return { snapshot: `${dir}/python-${key}.snapshot`, digest: `${dir}/python-${key}.sha256` };
}

/** A valid cached snapshot: where it is kept, and its bytes as checked. */
export interface CachedSnapshot {
  path: string;
  bytes: Uint8Array;
}

/**
 * A valid cached snapshot for `key`, or undefined when there is none or it
 * does not match its recorded digest. A hit is touched, so a version in use
 * is never taken for stale by {@linkcode storeSnapshot}.
 */
export async function findCachedSnapshot(
  dir: string,
  key: string,
): Promise<CachedSnapshot | undefined> {
  const { snapshot, digest } = paths(dir, key);
  try {
    const [bytes, recorded] = await Promise.all([
      Deno.readFile(snapshot),
      Deno.readTextFile(digest),
    ]);
    if ((await sha256Hex(bytes)) !== recorded.trim()) return undefined;
    const now = new Date();
    await Promise.all([snapshot, digest].map((p) => Deno.utime(p, now, now).catch(() => {})));
    return { path: snapshot, bytes };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Age after which a snapshot of another version counts as stale. Services
 * read their snapshot from a private copy, so removing a cached one never
 * breaks a running service; the age only keeps two versions started side
 * by side (a service and its tests from another checkout) from removing
 * each other's cache on every start.
 */
export const STALE_SNAPSHOT_MS = 24 * 3_600_000;

/**
 * Stores `bytes` as the snapshot for `key`. Each file is written under a
 * temporary name and renamed, so readers never see a partial file; the
 * digest goes last, so a snapshot without one is never used. Snapshots of
 * other versions not used for {@linkcode STALE_SNAPSHOT_MS} are removed
 * (30 MB each), and so are temporary files a crashed writer left as long.
 */
export async function storeSnapshot(
  dir: string,
  key: string,
  bytes: Uint8Array,
  now = Date.now(),
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const { snapshot, digest } = paths(dir, key);
  const suffix = `.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(snapshot + suffix, bytes, { mode: 0o644 });
  await Deno.rename(snapshot + suffix, snapshot);
  await Deno.writeTextFile(digest + suffix, (await sha256Hex(bytes)) + "\n", { mode: 0o644 });
  await Deno.rename(digest + suffix, digest);
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.name.startsWith("python-") || entry.name.startsWith(`python-${key}.`)) continue;
    const path = `${dir}/${entry.name}`;
    const modified = (await Deno.stat(path).catch(() => undefined))?.mtime?.getTime();
    if (modified !== undefined && now - modified >= STALE_SNAPSHOT_MS) {
      await Deno.remove(path).catch(() => {});
    }
  }
  return snapshot;
}
