/**
 * Compiled Python packages (wheels with `.so` extension modules, and the
 * shared libraries of Pyodide's distribution) cannot live in the memory
 * snapshot: a loaded WebAssembly side module is code and table entries
 * outside the memory a snapshot holds. So every Python instance extracts
 * their files into its own filesystem when it starts, after the snapshot,
 * loads the shared libraries and imports the modules to preload.
 *
 * They travel from the server to hosts as one zip: the files under their
 * absolute paths (without the leading "/") plus a manifest.
 */
import { unzipSync, type Zippable, zipSync } from "fflate";

/** What a Python instance installs at start, beyond the snapshot. */
export interface NativeInstall {
  /** Absolute path → contents. */
  files: Record<string, Uint8Array>;
  /** Shared libraries to load globally before any import, dependencies first. */
  sharedLibs: string[];
  /** Modules every instance imports at start (preloads that need compiled code). */
  preload: string[];
  /** Top-level modules of the compiled packages, imported once at start-up as a check. */
  check: string[];
}

const MANIFEST = "faas-native.json";

/** Packs an install into one zip (deterministic, so the same install gives the same bytes). */
export function packNative(install: NativeInstall): Uint8Array {
  const zip: Zippable = {};
  for (const [path, bytes] of Object.entries(install.files)) zip[path.replace(/^\//, "")] = bytes;
  const { sharedLibs, preload, check } = install;
  zip[MANIFEST] = new TextEncoder().encode(JSON.stringify({ sharedLibs, preload, check }));
  return zipSync(zip, { level: 6, mtime: new Date("2000-01-01T00:00:00Z") });
}

/** Unpacks what {@linkcode packNative} made. */
export function unpackNative(zip: Uint8Array): NativeInstall {
  const entries = unzipSync(zip);
  const manifest = JSON.parse(new TextDecoder().decode(entries[MANIFEST]));
  const files: Record<string, Uint8Array> = {};
  for (const [path, bytes] of Object.entries(entries)) {
    if (path !== MANIFEST && !path.endsWith("/")) files[`/${path}`] = bytes;
  }
  return {
    files,
    sharedLibs: manifest.sharedLibs ?? [],
    preload: manifest.preload ?? [],
    check: manifest.check ?? [],
  };
}
