/**
 * Python packages installed from a local directory of wheels, once, at
 * start: the requested names and their dependencies are resolved (from the
 * directory's `pyodide-lock.json` when it has one, else from the wheels'
 * metadata), checked against this Pyodide's Python, and merged into one zip
 * that every Python instance puts on `sys.path` (Python imports from zips
 * natively). Modules to preload are imported into the memory snapshot, so a
 * run pays nothing for them. Nothing is ever fetched from a network.
 *
 * Anything wrong (a package missing, two wheels of one package, a wheel for
 * another Python, a broken wheel) is a {@linkcode PackageError} naming it,
 * and stops start-up.
 */
import { unzipSync, type Zippable, zipSync } from "fflate";
import type { InstalledPackage } from "./runtimes.ts";
import {
  incompatibility,
  normalizeName,
  parseWheelName,
  type Requirement,
  requirements,
  satisfies,
  type Target,
} from "./wheel.ts";

/** A package problem that stops start-up; the message names what is at fault. */
export class PackageError extends Error {
  override name = "PackageError";
}

/** What the instances get. */
export interface PythonPackages {
  installed: InstalledPackage[];
  /** Every installed wheel's files in one zip; undefined when nothing is installed. */
  zip?: Uint8Array;
  /** Modules imported into the snapshot, besides the standard ones. */
  preload: string[];
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

interface Candidate {
  file: string;
  name: string;
  version: string;
  /** From the lock file; undefined to read them from the wheel. */
  depends?: Requirement[];
}

/** Resolves, checks and merges the packages; throws a PackageError when it cannot. */
export async function preparePythonPackages(options: PackageOptions): Promise<PythonPackages> {
  const preload = [...options.preload];
  if (options.names.length === 0) {
    const fingerprint = preload.length ? await digest(`preload ${preload.join(",")}`) : "";
    return { installed: [], preload, fingerprint };
  }
  const dir = options.dir;
  if (!dir) {
    throw new PackageError("FAAS_PYTHON_PACKAGES is set but FAAS_PYTHON_PACKAGES_DIR is not");
  }
  const target = targetOf(options.pyodideDir);
  const catalog = readCatalog(dir, target);
  const chosen = new Map<string, { candidate: Candidate; files: Record<string, Uint8Array> }>();
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
    if (chosen.has(req.name)) continue;
    const files = readWheel(`${dir}/${candidate.file}`, candidate.file, target);
    chosen.set(req.name, { candidate, files: files.contents });
    const deps = candidate.depends ?? requirements(files.metadata, target.python);
    for (const dep of deps) queue.push({ req: dep, by: req.name });
  }
  const merged: Zippable = {};
  const owner = new Map<string, string>();
  for (const [name, { files }] of chosen) {
    for (const [path, bytes] of Object.entries(files)) {
      const other = owner.get(path);
      if (other) {
        throw new PackageError(
          `Python packages "${other}" and "${name}" conflict: both install ${path}`,
        );
      }
      owner.set(path, name);
      merged[path] = bytes;
    }
  }
  const installed = [...chosen.values()]
    .map(({ candidate }) => ({ name: candidate.name, version: candidate.version }))
    .sort((a, b) => a.name.localeCompare(b.name));
  // Fixed times, so the same wheels always make the same zip (and cache key).
  const zip = zipSync(merged, { level: 6, mtime: new Date("2000-01-01T00:00:00Z") });
  const fingerprint = await digest(
    `preload ${preload.join(",")}\nzip ${await digest(zip)}`,
  );
  return { installed, zip, preload, fingerprint };
}

/** This Pyodide's Python version and wheel platform tags, from its lock file. */
function targetOf(pyodideDir: string): Target {
  const lock = readJson(`${pyodideDir}/pyodide-lock.json`, "Pyodide's lock file");
  const info = (lock.info ?? {}) as Record<string, string>;
  const platforms = [`${info.platform}_${info.arch}`];
  if (info.abi_version) platforms.push(`pyodide_${info.abi_version}_${info.arch}`);
  return { python: String(info.python), platforms };
}

/** Packages the directory offers, by normalised name. */
function readCatalog(dir: string, target: Target): Map<string, Candidate[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    throw new PackageError(
      `FAAS_PYTHON_PACKAGES_DIR ${dir} cannot be read: ${(err as Error).message}`,
    );
  }
  const catalog = new Map<string, Candidate[]>();
  const add = (c: Candidate) => catalog.set(c.name, [...(catalog.get(c.name) ?? []), c]);
  if (entries.some((e) => e.name === "pyodide-lock.json")) {
    // Pyodide's full distribution: the lock file says what each wheel needs.
    const lock = readJson(`${dir}/pyodide-lock.json`, "the packages' lock file");
    const info = (lock.info ?? {}) as Record<string, string>;
    if (info.python && info.python.split(".").slice(0, 2).join(".") !== short(target.python)) {
      throw new PackageError(
        `${dir}/pyodide-lock.json is for Python ${info.python}, not Python ${target.python}`,
      );
    }
    const packages = (lock.packages ?? {}) as Record<string, Record<string, unknown>>;
    for (const entry of Object.values(packages)) {
      if (typeof entry.file_name !== "string" || !entry.file_name.endsWith(".whl")) continue;
      add({
        file: entry.file_name,
        name: normalizeName(String(entry.name)),
        version: String(entry.version),
        depends: ((entry.depends ?? []) as string[]).map((d) => ({
          name: normalizeName(d),
          specifiers: [],
        })),
      });
    }
    return catalog;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".whl")) continue;
    const parsed = parseWheelName(entry.name);
    if (!parsed) throw new PackageError(`${dir}/${entry.name} is not a valid wheel file name`);
    add({ file: entry.name, name: parsed.name, version: parsed.version });
  }
  return catalog;
}

/** A wheel's files (as installed) and its METADATA text, checked to fit `target`. */
function readWheel(
  path: string,
  file: string,
  target: Target,
): { contents: Record<string, Uint8Array>; metadata: string } {
  const parsed = parseWheelName(file);
  if (!parsed) throw new PackageError(`${path} is not a valid wheel file name`);
  const why = incompatibility(parsed, target);
  if (why) throw new PackageError(`Wheel ${file} cannot be installed: ${why}`);
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(Deno.readFileSync(path));
  } catch (err) {
    throw new PackageError(`Wheel ${file} is not a valid zip archive: ${(err as Error).message}`);
  }
  const contents: Record<string, Uint8Array> = {};
  let metadata: string | undefined;
  for (const [name, bytes] of Object.entries(raw)) {
    if (name.endsWith("/")) continue;
    if (/^[^/]+\.dist-info\/METADATA$/.test(name)) metadata = new TextDecoder().decode(bytes);
    if (/\.(so|so\.\d+)$/.test(name)) {
      throw new PackageError(
        `Wheel ${file} contains compiled extension modules (${name}); only pure-Python wheels are supported`,
      );
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
  return { contents, metadata };
}

function short(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

function readJson(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    throw new PackageError(`${what} ${path} cannot be read: ${(err as Error).message}`);
  }
}

async function digest(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const hash = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
