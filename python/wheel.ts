/**
 * Python wheels: file names and their tags, `Requires-Dist` lines with
 * environment markers, and version specifiers, as far as installing
 * wheels into Pyodide needs them.
 */

/** A wheel's file name, split into its parts. */
export interface WheelName {
  /** Normalised (PEP 503): lower case, runs of `-_.` as `-`. */
  name: string;
  version: string;
  python: string[];
  abi: string[];
  platform: string[];
}

/** The Python a wheel must fit. */
export interface Target {
  /** e.g. "3.14.2" */
  python: string;
  /** Platform tags of wheels built for this Pyodide, e.g. "pyodide_2026_0_wasm32". */
  platforms: string[];
}

/** A dependency of a wheel. */
export interface Requirement {
  name: string;
  /** Version specifiers, e.g. [">=1.0", "<2"]. */
  specifiers: string[];
}

/** PEP 503 normalised project name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** Parses `name-version(-build)?-python-abi-platform.whl`; undefined if not a wheel name. */
export function parseWheelName(file: string): WheelName | undefined {
  const m = file.match(/^([^-]+)-([^-]+)(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/);
  if (!m) return undefined;
  return {
    name: normalizeName(m[1]),
    version: m[2],
    python: m[3].split("."),
    abi: m[4].split("."),
    platform: m[5].split("."),
  };
}

/** Why a wheel does not fit `target`, or undefined when it does. */
export function incompatibility(wheel: WheelName, target: Target): string | undefined {
  const [major, minor] = target.python.split(".");
  const cp = `cp${major}${minor}`;
  const pure = wheel.platform.includes("any");
  if (!pure && !wheel.platform.some((p) => target.platforms.includes(p))) {
    return `it is built for ${wheel.platform.join(".")}, not for ${target.platforms.join(" or ")}`;
  }
  const pythonOk = wheel.python.some((t) =>
    t === `py${major}` || t === `py${major}${minor}` || t === cp
  );
  if (!pythonOk) {
    return `it is for Python ${wheel.python.join(".")}, not Python ${major}.${minor}`;
  }
  const abiOk = wheel.abi.some((a) => a === "none" || a === "abi3" || a === cp);
  if (!abiOk) return `its ABI ${wheel.abi.join(".")} does not fit Python ${major}.${minor}`;
  return undefined;
}

/** The values environment markers see in Pyodide. */
function markerEnv(python: string): Record<string, string> {
  return {
    python_version: python.split(".").slice(0, 2).join("."),
    python_full_version: python,
    sys_platform: "emscripten",
    platform_system: "Emscripten",
    os_name: "posix",
    platform_machine: "wasm32",
    implementation_name: "cpython",
    platform_python_implementation: "CPython",
    implementation_version: python,
    extra: "",
  };
}

/**
 * The requirements of a wheel's METADATA that apply to `python`: those
 * behind an `extra` marker, or a marker false here, are left out.
 */
export function requirements(metadata: string, python: string): Requirement[] {
  const out: Requirement[] = [];
  for (const line of metadata.split(/\r?\n/)) {
    if (line === "") break; // The headers end at the first blank line.
    const m = line.match(/^Requires-Dist:\s*(.+)$/i);
    if (!m) continue;
    const [spec, marker] = m[1].split(/\s*;\s*/, 2);
    if (marker && !evaluateMarker(marker, markerEnv(python))) continue;
    const r = spec.match(/^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*\(?([^)]*)\)?\s*$/);
    if (!r) continue;
    const specifiers = r[2].split(",").map((s) => s.replace(/\s+/g, "")).filter(Boolean);
    out.push({ name: normalizeName(r[1]), specifiers });
  }
  return out;
}

/** Evaluates a PEP 508 marker; `extra` markers are false (extras are never installed). */
export function evaluateMarker(marker: string, env: Record<string, string>): boolean {
  const tokens = marker.match(/\(|\)|'[^']*'|"[^"]*"|===|==|!=|<=|>=|~=|<|>|not\s+in\b|[\w.]+/g) ??
    [];
  let i = 0;
  const value = (t: string): string => /^['"]/.test(t) ? t.slice(1, -1) : t in env ? env[t] : t;
  const atom = (): boolean => {
    if (tokens[i] === "(") {
      i++;
      const v = or();
      i++; // ")"
      return v;
    }
    const leftToken = tokens[i++];
    const op = tokens[i++]?.replace(/\s+/g, " ");
    const rightToken = tokens[i++];
    if (leftToken === "extra" || rightToken === "extra") return false;
    const left = value(leftToken);
    const right = value(rightToken);
    if (op === "in") return right.includes(left);
    if (op === "not in") return !right.includes(left);
    const versions = /^\d+(\.\d+)*$/.test(left) && /^\d+(\.\d+)*$/.test(right);
    if (!versions) {
      return op === "==" || op === "===" ? left === right : op === "!=" && left !== right;
    }
    return satisfies(left, [`${op}${right}`]);
  };
  const and = (): boolean => {
    let v = atom();
    while (tokens[i] === "and") {
      i++;
      v = atom() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === "or") {
      i++;
      v = and() || v;
    }
    return v;
  };
  return or();
}

/** The release numbers of a version ("1.2.post3" → [1, 2]). */
function release(version: string): number[] {
  return (version.match(/^\d+(\.\d+)*/)?.[0] ?? "0").split(".").map(Number);
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Whether `version` meets every specifier. Compares release numbers only
 * (pre-release and post-release parts are ignored).
 */
export function satisfies(version: string, specifiers: string[]): boolean {
  const v = release(version);
  return specifiers.every((spec) => {
    const m = spec.match(/^(===|==|!=|<=|>=|~=|<|>)(.+)$/);
    if (!m) return true;
    const [, op, raw] = m;
    if ((op === "==" || op === "!=") && raw.endsWith(".*")) {
      const prefix = release(raw.slice(0, -2));
      const same = compare(v.slice(0, prefix.length), prefix) === 0;
      return op === "==" ? same : !same;
    }
    const c = compare(v, release(raw));
    switch (op) {
      case "==":
      case "===":
        return c === 0;
      case "!=":
        return c !== 0;
      case "<=":
        return c <= 0;
      case ">=":
        return c >= 0;
      case "<":
        return c < 0;
      case ">":
        return c > 0;
      default: { // ~=
        const r = release(raw);
        return c >= 0 && compare(v.slice(0, r.length - 1), r.slice(0, -1)) === 0;
      }
    }
  });
}
