import assert from "node:assert/strict";
import { PackageError, preparePythonPackages } from "./python_packages.ts";
import { resolvePyodideDir } from "../protocol/pyodide_files.ts";
import { testPackagesDir, writeWheel } from "../tests/helpers/wheels.ts";
import { unzipSync } from "fflate";
import { unpackNative } from "../protocol/native_bundle.ts";
import {
  EXT_SUFFIX,
  extensionModule,
  NATIVE_TAGS,
  nativeDistributionDir,
  nativePackagesDir,
} from "../tests/helpers/side_modules.ts";

const pyodideDir = resolvePyodideDir(undefined);
const prepare = (dir: string | undefined, names: string[], preload: string[] = []) =>
  preparePythonPackages({ dir, names, preload, pyodideDir });

async function rejects(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof PackageError, String(e));
    assert.match(e.message, message);
    return true;
  });
}

Deno.test("python packages resolve from a folder of wheels", async (t) => {
  const dir = testPackagesDir();
  try {
    await t.step("dependencies come along, extras and other platforms do not", async () => {
      const p = await prepare(dir, ["Alpha", "gamma"]);
      assert.deepEqual(p.installed, [
        { name: "alpha", version: "1.0" },
        { name: "beta", version: "1.2" },
        { name: "gamma", version: "0.1" },
      ]);
      const files = Object.keys(unzipSync(p.zip!));
      assert.ok(files.includes("alpha/__init__.py"));
      assert.ok(files.includes("gamma/data/words.txt"));
      assert.ok(files.includes("gamma_extra.py"), "purelib data installs at the top");
      assert.ok(files.includes("beta-1.2.dist-info/METADATA"));
    });

    await t.step("the same set gives the same fingerprint; preload changes it", async () => {
      const a = await prepare(dir, ["alpha"]);
      const b = await prepare(dir, ["alpha"]);
      const c = await prepare(dir, ["alpha"], ["alpha"]);
      assert.equal(a.fingerprint, b.fingerprint);
      assert.notEqual(a.fingerprint, c.fingerprint);
      assert.equal((await prepare(undefined, [])).fingerprint, "");
    });

    await t.step("a missing package or dependency is named", async () => {
      await rejects(prepare(dir, ["numpy"]), /"numpy" is not in/);
      const lonely = Deno.makeTempDirSync();
      writeWheel(lonely, { name: "alpha", version: "1.0", requires: ["beta"], files: {} });
      await rejects(prepare(lonely, ["alpha"]), /"beta" \(needed by alpha\) is not in/);
    });

    await t.step("an unmet version is a conflict naming both sides", async () => {
      const old = Deno.makeTempDirSync();
      writeWheel(old, { name: "alpha", version: "1.0", requires: ["beta>=2"], files: {} });
      writeWheel(old, { name: "beta", version: "1.2", files: {} });
      await rejects(
        prepare(old, ["alpha"]),
        /"beta" \(needed by alpha\) must be >=2, but .* has 1\.2/,
      );
    });

    await t.step("two wheels of one package conflict", async () => {
      const two = Deno.makeTempDirSync();
      writeWheel(two, { name: "beta", version: "1.2", files: {} });
      writeWheel(two, { name: "beta", version: "1.3", files: {} });
      await rejects(prepare(two, ["beta"]), /"beta" has conflicting wheels/);
    });

    await t.step("two packages installing one file conflict", async () => {
      const clash = Deno.makeTempDirSync();
      writeWheel(clash, { name: "one", version: "1", files: { "shared.py": "" } });
      writeWheel(clash, { name: "two", version: "1", files: { "shared.py": "" } });
      await rejects(
        prepare(clash, ["one", "two"]),
        /"one" and "two" conflict: both install shared\.py/,
      );
    });

    await t.step("a broken wheel and a wheel for another Python are refused", async () => {
      const bad = Deno.makeTempDirSync();
      Deno.writeTextFileSync(`${bad}/broken-1.0-py3-none-any.whl`, "not a zip");
      await rejects(
        prepare(bad, ["broken"]),
        /Wheel broken-1\.0-py3-none-any\.whl is not a valid zip/,
      );
      writeWheel(bad, {
        name: "oldpy",
        version: "1",
        tags: "cp311-cp311-pyodide_2024_0_wasm32",
        files: {},
      });
      await rejects(
        prepare(bad, ["oldpy"]),
        /oldpy-1-cp311-cp311-pyodide_2024_0_wasm32\.whl cannot be installed: it is built for pyodide_2024_0_wasm32/,
      );
      writeWheel(bad, { name: "py2only", version: "1", tags: "py2-none-any", files: {} });
      await rejects(prepare(bad, ["py2only"]), /is for Python py2, not Python 3\.14/);
      writeWheel(bad, {
        name: "native",
        version: "1",
        tags: "cp314-cp314-manylinux_2_17_x86_64",
        files: {},
      });
      await rejects(prepare(bad, ["native"]), /built for manylinux_2_17_x86_64/);
    });

    await t.step("no directory, or an unreadable one, is named", async () => {
      await rejects(prepare(undefined, ["alpha"]), /FAAS_PYTHON_PACKAGES_DIR is not/);
      await rejects(
        prepare("/nonexistent/wheels", ["alpha"]),
        /\/nonexistent\/wheels cannot be read/,
      );
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("python packages resolve from a Pyodide distribution's lock file", async () => {
  const dir = testPackagesDir();
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  const entry = (name: string, depends: string[]) => ({
    name,
    version: files.find((f) => f.startsWith(`${name}-`))!.split("-")[1],
    file_name: files.find((f) => f.startsWith(`${name}-`)),
    depends,
    package_type: "package",
  });
  const lock = (python: string) => ({
    info: { python, platform: "emscripten_5_0_3", arch: "wasm32" },
    packages: {
      alpha: entry("alpha", ["beta"]),
      beta: entry("beta", []),
      gamma: entry("gamma", []),
    },
  });
  try {
    Deno.writeTextFileSync(`${dir}/pyodide-lock.json`, JSON.stringify(lock("3.14.2")));
    const p = await prepare(dir, ["alpha"]);
    assert.deepEqual(p.installed.map((i) => i.name), ["alpha", "beta"]);
    Deno.writeTextFileSync(`${dir}/pyodide-lock.json`, JSON.stringify(lock("3.12.1")));
    await rejects(prepare(dir, ["alpha"]), /is for Python 3\.12\.1, not Python 3\.14/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("compiled python packages are installed per instance, their preloads too", async (t) => {
  const dir = nativePackagesDir();
  const dist = await nativeDistributionDir();
  try {
    await t.step("compiled files and preloads needing them go to the native install", async () => {
      writeWheel(dir, { name: "plain", version: "1", files: { "plain.py": "X = 1\n" } });
      const p = await prepare(dir, ["calc", "plain"], ["calc", "plain", "json"]);
      assert.deepEqual(p.installed.map((i) => i.name), ["calc", "fastmath", "plain"]);
      // calc is pure Python but imports fastmath: it cannot go into the snapshot.
      assert.deepEqual(p.nativePreload, ["calc"]);
      assert.deepEqual(p.preload, ["plain", "json"]);
      assert.deepEqual(Object.keys(unzipSync(p.zip!)).filter((f) => !f.includes("dist-info")), [
        "calc/__init__.py",
        "plain.py",
      ]);
      const native = unpackNative(p.native!);
      assert.ok(native.files[`/lib/python3.14/site-packages/fastmath${EXT_SUFFIX}`]);
      assert.deepEqual(native.check, ["fastmath"]);
      assert.deepEqual(native.sharedLibs, []);
    });

    await t.step("a distribution's shared libraries go to /usr/lib, loaded first", async () => {
      const p = await prepare(dist, ["scaled"]);
      const native = unpackNative(p.native!);
      assert.deepEqual(native.sharedLibs, ["/usr/lib/libfaasmul.so"]);
      assert.ok(native.files["/usr/lib/libfaasmul.so"]);
      assert.deepEqual(native.check, ["scaled"]);
      assert.equal(p.zip, undefined);
    });

    await t.step("a file that does not match the lock file's SHA-256 is refused", async () => {
      const wheel = [...Deno.readDirSync(dist)].find((e) => e.name.startsWith("scaled-"))!.name;
      const bytes = Deno.readFileSync(`${dist}/${wheel}`);
      bytes[bytes.length - 30] ^= 1;
      Deno.writeFileSync(`${dist}/${wheel}`, bytes);
      await rejects(prepare(dist, ["scaled"]), /scaled-2\.0-.*\.whl does not match the SHA-256/);
    });

    await t.step("modules not built for Pyodide are refused", async () => {
      writeWheel(dir, {
        name: "elf",
        version: "1",
        tags: NATIVE_TAGS,
        files: { [`elf${EXT_SUFFIX}`]: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1]) },
      });
      await rejects(prepare(dir, ["elf"]), /elf.*\.so, which is not WebAssembly/);
      writeWheel(dir, {
        name: "mislabelled",
        version: "1",
        files: { [`m${EXT_SUFFIX}`]: extensionModule({ module: "m", fn: "f", factor: 1 }) },
      });
      await rejects(prepare(dir, ["mislabelled"]), /compiled modules but is tagged for any/);
      writeWheel(dir, { name: "escape", version: "1", files: { "../../etc/evil.py": "x" } });
      await rejects(
        prepare(dir, ["escape"]),
        /holds a file outside its directory: \.\.\/\.\.\/etc/,
      );
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
    Deno.removeSync(dist, { recursive: true });
  }
});
