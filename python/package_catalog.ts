/**
 * What a directory of Python packages offers, and what this Pyodide can
 * install: its Python version and platform tags, from the lock files.
 */
import { normalizeName, parseWheelName, type Requirement, type Target } from "./wheel.ts";
import { PackageError } from "./package_error.ts";

/** A package file the directory offers. */
export interface Candidate {
  file: string;
  name: string;
  version: string;
  /** From the lock file; undefined to read them from the wheel. */
  depends?: Requirement[];
  /** A shared library of Pyodide's distribution (a zip for /usr/lib), not a wheel. */
  sharedLibrary?: boolean;
  /** SHA-256 the lock file gives for the file. */
  sha256?: string;
}

/** This Pyodide's Python version and wheel platform tags, from its lock file. */
export function targetOf(pyodideDir: string): Target {
  const lock = readJson(`${pyodideDir}/pyodide-lock.json`, "Pyodide's lock file");
  const info = (lock.info ?? {}) as Record<string, string>;
  const platforms = [`${info.platform}_${info.arch}`];
  if (info.abi_version) {
    // PEP 783's name, and the one Pyodide used before it.
    platforms.push(`pyemscripten_${info.abi_version}_${info.arch}`);
    platforms.push(`pyodide_${info.abi_version}_${info.arch}`);
  }
  return { python: String(info.python), platforms };
}

/** Packages the directory offers, by normalised name. */
export function readCatalog(dir: string, target: Target): Map<string, Candidate[]> {
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
      if (typeof entry.file_name !== "string") continue;
      const sharedLibrary = entry.package_type === "shared_library";
      if (!entry.file_name.endsWith(".whl") && !sharedLibrary) continue;
      add({
        file: entry.file_name,
        name: normalizeName(String(entry.name)),
        version: String(entry.version),
        depends: ((entry.depends ?? []) as string[]).map((d) => ({
          name: normalizeName(d),
          specifiers: [],
        })),
        ...(sharedLibrary && { sharedLibrary }),
        ...(typeof entry.sha256 === "string" && { sha256: entry.sha256 }),
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

/** `major.minor` of a Python version. */
export function short(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

function readJson(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch (err) {
    throw new PackageError(`${what} ${path} cannot be read: ${(err as Error).message}`);
  }
}
