/**
 * Python packages installed from a local directory of wheels, once, at
 * start: the requested names and their dependencies are resolved (from the
 * directory's `pyodide-lock.json` when it has one, else from the wheels'
 * metadata), checked against this Pyodide's Python and platform. Pure-Python
 * wheels are merged into one zip that every Python instance puts on
 * `sys.path` (Python imports from zips natively); modules to preload from
 * them are imported into the memory snapshot, so a run pays nothing for
 * them. Compiled wheels and shared libraries are installed by each instance
 * at start instead (see native_install.ts), and so are the preloads that
 * need them. Nothing is ever fetched from a network.
 *
 * Anything wrong (a package missing, two wheels of one package, a wheel for
 * another Python, a broken wheel) is a {@linkcode PackageError} naming it,
 * and stops start-up.
 */
import { unzipSync, type Zippable, zipSync } from "fflate";
import { type NativeInstall, packNative } from "../protocol/native_bundle.ts";
import { type Candidate, readCatalog, short, targetOf } from "./package_catalog.ts";
import { PackageError } from "./package_error.ts";
export { PackageError } from "./package_error.ts";
import {
  incompatibility,
  normalizeName,
  parseWheelName,
  type Requirement,
  requirements,
  satisfies,
  type Target,
} from "./wheel.ts";

/** A Python package installed into the snapshot. */
export interface InstalledPackage {
  name: string;
  version: string;
}

/** What the instances get. */
export interface PythonPackages {
  installed: InstalledPackage[];
  /** The pure-Python wheels' files in one zip; undefined when there are none. */
  zip?: Uint8Array;
  /** Modules imported into the snapshot, besides the standard ones. */
  preload: string[];
  /** Compiled packages and shared libraries (`packNative`); undefined when there are none. */
  native?: Uint8Array;
  /** Modules every instance imports at start, because they need compiled code. */
  nativePreload: string[];
  /** Identifies the package set and preload list (part of the snapshot's cache key). */
  fingerprint: string;
}

/** What {@linkcode preparePythonPackages} needs. */
export interface PackageOptions {
  dir?: string;
  names: readonly string[];
  preload: readonly string[];
  pyodideDir: string;
}

interface Chosen {
  candidate: Candidate;
  files: Record<string, Uint8Array>;
  /** Holds compiled code: a shared library, or a wheel with `.so` files. */
  compiled: boolean;
  deps: string[];
}

/** Resolves, checks and merges the packages; throws a PackageError when it cannot. */
export async function preparePythonPackages(options: PackageOptions): Promise<PythonPackages> {
  if (options.names.length === 0) {
    const preload = [...options.preload];
    const fingerprint = preload.length ? await digest(`preload ${preload.join(",")}`) : "";
    return { installed: [], preload, nativePreload: [], fingerprint };
  }
  const dir = options.dir;
  if (!dir) {
    throw new PackageError("FAAS_PYTHON_PACKAGES is set but FAAS_PYTHON_PACKAGES_DIR is not");
  }
  const target = targetOf(options.pyodideDir);
  const catalog = readCatalog(dir, target);
  const chosen = new Map<string, Chosen>();
  const queue: { req: Requirement; by?: string }[] = options.names.map((n) => ({
    req: { name: normalizeName(n), specifiers: [] },
  }));
  while (queue.length) {
    const { req, by } = queue.shift()!;
    const found = catalog.get(req.name);
    const needed = by ? ` (needed by ${by})` : "";
    if (!found || found.length === 0) {
      throw new PackageError(`Python package "${req.name}"${needed} is not in ${dir}`);
    }
    if (found.length > 1) {
      throw new PackageError(
        `Python package "${req.name}" has conflicting wheels in ${dir}: ${
          found.map((c) => c.file).join(", ")
        }`,
      );
    }
    const candidate = found[0];
    if (!satisfies(candidate.version, req.specifiers)) {
      throw new PackageError(
        `Python package "${req.name}"${needed} must be ${
          req.specifiers.join(",")
        }, but ${dir} has ${candidate.version}`,
      );
    }
    if (by) chosen.get(by)?.deps.push(req.name);
    if (chosen.has(req.name)) continue;
    const read = candidate.sharedLibrary
      ? await readSharedLibrary(dir, candidate)
      : await readWheel(dir, candidate, target);
    chosen.set(req.name, { candidate, files: read.contents, compiled: read.compiled, deps: [] });
    const deps = candidate.depends ?? requirements(read.metadata, target.python);
    for (const dep of deps) queue.push({ req: dep, by: req.name });
  }
  const sitePackages = `/lib/python${short(target.python)}/site-packages`;
  const pure: Zippable = {};
  const native: NativeInstall = { files: {}, sharedLibs: [], preload: [], check: [] };
  const owner = new Map<string, string>();
  const providers = new Map<string, string>();
  for (const name of dependenciesFirst(chosen)) {
    const { files, compiled, candidate } = chosen.get(name)!;
    for (const [path, bytes] of Object.entries(files)) {
      const other = owner.get(path);
      if (other) {
        throw new PackageError(
          `Python packages "${other}" and "${name}" conflict: both install ${path}`,
        );
      }
      owner.set(path, name);
      if (candidate.sharedLibrary) {
        native.files[`/usr/lib/${path}`] = bytes;
        if (isSharedObject(path)) native.sharedLibs.push(`/usr/lib/${path}`);
      } else if (compiled) {
        native.files[`${sitePackages}/${path}`] = bytes;
      } else {
        pure[path] = bytes;
      }
    }
    if (!candidate.sharedLibrary) {
      for (const module of topLevelModules(Object.keys(files))) {
        providers.set(module, name);
        if (compiled) native.check.push(module);
      }
    }
  }
  // A preload whose package needs compiled code anywhere below it is
  // imported by each instance; the rest go into the snapshot.
  const needsNative = nativeClosure(chosen);
  const preload: string[] = [];
  for (const module of options.preload) {
    const provider = providers.get(module.split(".")[0]);
    if (provider && needsNative.has(provider)) native.preload.push(module);
    else preload.push(module);
  }
  const installed = [...chosen.values()]
    .map(({ candidate }) => ({ name: candidate.name, version: candidate.version }))
    .sort((a, b) => a.name.localeCompare(b.name));
  // Fixed times, so the same wheels always make the same zip (and cache key).
  const zip = Object.keys(pure).length
    ? zipSync(pure, { level: 6, mtime: new Date("2000-01-01T00:00:00Z") })
    : undefined;
  const fingerprint = await digest(
    `preload ${preload.join(",")}\nzip ${zip ? await digest(zip) : ""}`,
  );
  return {
    installed,
    ...(zip && { zip }),
    preload,
    ...(Object.keys(native.files).length && { native: packNative(native) }),
    nativePreload: native.preload,
    fingerprint,
  };
}

/** Package names ordered so that each comes after everything it depends on. */
function dependenciesFirst(chosen: Map<string, Chosen>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of chosen.get(name)?.deps ?? []) visit(dep);
    order.push(name);
  };
  for (const name of [...chosen.keys()].sort()) visit(name);
  return order;
}

/** The packages that hold compiled code or depend, at any depth, on one that does. */
function nativeClosure(chosen: Map<string, Chosen>): Set<string> {
  const result = new Set<string>();
  for (const name of dependenciesFirst(chosen)) {
    const c = chosen.get(name)!;
    if (c.compiled || c.deps.some((d) => result.has(d))) result.add(name);
  }
  return result;
}

/** Importable top-level names among a wheel's installed paths. */
function topLevelModules(paths: string[]): string[] {
  const names = new Set<string>();
  for (const path of paths) {
    const [first, ...rest] = path.split("/");
    if (/\.(dist-info|data)$/.test(first)) continue;
    if (rest.length) {
      if (/^[A-Za-z_]\w*$/.test(first)) names.add(first);
      continue;
    }
    const module = first.match(/^([A-Za-z_]\w*)(\.py|\.[\w-]+\.so|\.so)$/);
    if (module) names.add(module[1]);
  }
  return [...names].sort();
}

function isSharedObject(path: string): boolean {
  return /\.so(\.\d+)*$/.test(path);
}

/** A package file's bytes, checked against the lock file's SHA-256 when it gives one. */
async function readChecked(dir: string, candidate: Candidate): Promise<Uint8Array> {
  const path = `${dir}/${candidate.file}`;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    throw new PackageError(`${path} cannot be read: ${(err as Error).message}`);
  }
  if (candidate.sha256 && (await digest(bytes)) !== candidate.sha256.toLowerCase()) {
    throw new PackageError(
      `${candidate.file} does not match the SHA-256 in ${dir}/pyodide-lock.json; it is damaged or replaced`,
    );
  }
  return bytes;
}

function unzipPackage(file: string, bytes: Uint8Array): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new PackageError(`${file} is not a valid zip archive: ${(err as Error).message}`);
  }
  // Every file installs below its directory: no absolute paths, no "..".
  for (const name of Object.keys(entries)) {
    if (name.startsWith("/") || name.split(/[/\\]/).includes("..")) {
      throw new PackageError(`${file} holds a file outside its directory: ${name}`);
    }
  }
  return entries;
}

/** A shared library archive of Pyodide's distribution: its files, for /usr/lib. */
async function readSharedLibrary(
  dir: string,
  candidate: Candidate,
): Promise<{ contents: Record<string, Uint8Array>; metadata: string; compiled: boolean }> {
  const raw = unzipPackage(candidate.file, await readChecked(dir, candidate));
  const contents: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(raw)) if (!name.endsWith("/")) contents[name] = bytes;
  return { contents, metadata: "", compiled: true };
}

/**
 * A wheel's files (as installed), its METADATA text and whether it holds
 * compiled extension modules, checked to fit `target`.
 */
async function readWheel(
  dir: string,
  candidate: Candidate,
  target: Target,
): Promise<{ contents: Record<string, Uint8Array>; metadata: string; compiled: boolean }> {
  const file = candidate.file;
  const parsed = parseWheelName(file);
  if (!parsed) throw new PackageError(`${dir}/${file} is not a valid wheel file name`);
  const why = incompatibility(parsed, target);
  if (why) throw new PackageError(`Wheel ${file} cannot be installed: ${why}`);
  const raw = unzipPackage(`Wheel ${file}`, await readChecked(dir, candidate));
  const contents: Record<string, Uint8Array> = {};
  let metadata: string | undefined;
  let compiled = false;
  for (const [name, bytes] of Object.entries(raw)) {
    if (name.endsWith("/")) continue;
    if (/^[^/]+\.dist-info\/METADATA$/.test(name)) metadata = new TextDecoder().decode(bytes);
    if (isSharedObject(name)) {
      // A module built for Linux or macOS would fail only at its first import.
      const wasm = bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0x61 &&
        bytes[2] === 0x73 && bytes[3] === 0x6d;
      if (!wasm) {
        throw new PackageError(
          `Wheel ${file} contains ${name}, which is not WebAssembly; it was not built for Pyodide`,
        );
      }
      compiled = true;
    }
    // `<name>.data/purelib|platlib/` install at the top; scripts and headers do not apply.
    const data = name.match(/^[^/]+\.data\/([^/]+)\/(.+)$/);
    if (data) {
      if (data[1] === "purelib" || data[1] === "platlib") contents[data[2]] = bytes;
      continue;
    }
    contents[name] = bytes;
  }
  if (metadata === undefined) {
    throw new PackageError(`Wheel ${file} has no .dist-info/METADATA; it is not a valid wheel`);
  }
  if (compiled && parsed.platform.includes("any")) {
    throw new PackageError(
      `Wheel ${file} contains compiled modules but is tagged for any platform; it was not built for Pyodide`,
    );
  }
  return { contents, metadata, compiled };
}

async function digest(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
