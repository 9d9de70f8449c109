/** Builds Python wheels at test time, for the package tests. */
import { zipSync } from "fflate";

/** What goes into a test wheel. */
export interface WheelSpec {
  name: string;
  version: string;
  /** Path inside the wheel → text or bytes. */
  files: Record<string, string | Uint8Array>;
  requires?: string[];
  /** Tags after the version; default "py3-none-any". */
  tags?: string;
}

/** Writes the wheel into `dir`; returns its file name. */
export function writeWheel(dir: string, spec: WheelSpec): string {
  const dist = `${spec.name.replace(/-/g, "_")}-${spec.version}`;
  const metadata = [
    "Metadata-Version: 2.1",
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`),
    "",
    "A package made by a test.",
  ].join("\n");
  const files: Record<string, Uint8Array> = {};
  const enc = new TextEncoder();
  for (const [path, content] of Object.entries(spec.files)) {
    files[path] = typeof content === "string" ? enc.encode(content) : content;
  }
  files[`${dist}.dist-info/METADATA`] = enc.encode(metadata);
  files[`${dist}.dist-info/WHEEL`] = enc.encode(
    `Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: ${
      spec.tags ?? "py3-none-any"
    }\n`,
  );
  files[`${dist}.dist-info/RECORD`] = enc.encode("");
  const file = `${dist}-${spec.tags ?? "py3-none-any"}.whl`;
  Deno.writeFileSync(`${dir}/${file}`, zipSync(files));
  return file;
}

/**
 * A directory with the test packages: `alpha` (needs `beta>=1.0`), `beta`,
 * and `gamma` (with a data file and a module installed from `.data/purelib`).
 */
export function testPackagesDir(): string {
  const dir = Deno.makeTempDirSync({ prefix: "faas-wheels-" });
  writeWheel(dir, {
    name: "alpha",
    version: "1.0",
    requires: ["beta>=1.0", 'pytest; extra == "test"', 'nothing; sys_platform == "win32"'],
    files: {
      "alpha/__init__.py": "from beta import helper\nVALUE = 41\n\ndef answer():\n" +
        "    return helper(VALUE)\n",
    },
  });
  writeWheel(dir, {
    name: "beta",
    version: "1.2",
    files: { "beta/__init__.py": "COUNTER = 0\n\ndef helper(x):\n    return x + 1\n" },
  });
  writeWheel(dir, {
    name: "gamma",
    version: "0.1",
    files: {
      "gamma/__init__.py": "import importlib.resources\n\ndef words():\n" +
        '    return importlib.resources.files("gamma").joinpath("data/words.txt").read_text()\n',
      "gamma/data/words.txt": "lorem ipsum\n",
      "gamma-0.1.data/purelib/gamma_extra.py": "EXTRA = 'extra'\n",
    },
  });
  return dir;
}
