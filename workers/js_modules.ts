/**
 * Modules for JS/TS runs: the files a run was given become importable with
 * `require()` or static `import`, each evaluated in the run's own context.
 *
 * Static `import`/`export` statements are rewritten to `require()` calls and
 * `exports` properties, line by line, before compiling: a run is a script
 * in a fresh `node:vm` context, where V8's module loader is not available.
 * The rewrite handles statements that begin a line (the way modules are
 * written); the forms it knows are listed in docs/api.md.
 */
import vm from "node:vm";
import { stripTypeScriptTypes } from "node:module";
import type { RunFile } from "../protocol/host_messages.ts";
import { bytesToBase64, type FoundFile } from "./returned_files.ts";

/** Whether a source has a static `import` or `export` statement at a line start. */
export function hasModuleSyntax(source: string): boolean {
  return MODULE_SYNTAX.test(source);
}

const MODULE_SYNTAX = /^[ \t]*(?:import[\s{*"']|export[\s{*])/m;

const ID = String.raw`[A-Za-z_$][\w$]*`;
const SPEC = String.raw`(["'])([^"'\n]+)\2`;
const IMPORT_FROM = new RegExp(
  String
    .raw`^([ \t]*)import\s+(?:(${ID})\s*(?:,\s*)?)?(?:\*\s*as\s+(${ID})|\{([^}]*)\})?\s*from\s*(["'])([^"'\n]+)\5[ \t]*;?`,
  "gm",
);
const IMPORT_BARE = new RegExp(String.raw`^([ \t]*)import\s*${SPEC}[ \t]*;?`, "gm");
const EXPORT_DECLARATION = new RegExp(
  String
    .raw`^([ \t]*)export\s+((?:async\s+)?function\s*\*?\s*|class\s+|const\s+|let\s+|var\s+)(${ID})`,
  "gm",
);
const EXPORT_DEFAULT = /^([ \t]*)export\s+default\s+/gm;
const EXPORT_LIST = new RegExp(
  String.raw`^([ \t]*)export\s*\{([^}]*)\}(?:\s*from\s*(["'])([^"'\n]+)\3)?[ \t]*;?`,
  "gm",
);
const EXPORT_STAR = new RegExp(
  String.raw`^([ \t]*)export\s*\*\s*(?:as\s+(${ID})\s+)?from\s*${
    SPEC.replace("\\2", "\\3")
  }[ \t]*;?`,
  "gm",
);

/** `a, b as c` as `[imported, local]` pairs. */
function specifiers(list: string): [string, string][] {
  return list.split(",").map((s) => s.trim()).filter((s) => s && !s.startsWith("type "))
    .map((s) => {
      const [name, alias] = s.split(/\s+as\s+/);
      return [name.trim(), (alias ?? name).trim()];
    });
}

/** Numbers the temporaries the rewrite declares, so none collide. */
let exportedCounter = 0;

const req = (spec: string) => `require(${JSON.stringify(spec)})`;
const interop = (spec: string) => `((m) => m && m.__esModule ? m.default : m)(${req(spec)})`;

/**
 * Rewrites static imports and exports to CommonJS. In the entry point
 * exports go nowhere (nothing imports it), so their keywords are dropped.
 */
export function toCommonJs(source: string, entry: boolean): string {
  const exported: string[] = [];
  const getter = (name: string, local: string) =>
    `Object.defineProperty(exports, ${JSON.stringify(name)}, ` +
    `{ enumerable: true, configurable: true, get: () => ${local} });`;
  let out = source
    .replace(IMPORT_FROM, (_m, indent, def, ns, list, _q, spec) => {
      const parts: string[] = [];
      const tmp = `__import_${exportedCounter++}`;
      parts.push(`const ${tmp} = ${req(spec)};`);
      if (def) parts.push(`const ${def} = ${interop(spec).replace(req(spec), tmp)};`);
      if (ns) parts.push(`const ${ns} = ${tmp};`);
      if (list !== undefined) {
        const pairs = specifiers(list);
        if (pairs.length) {
          parts.push(
            `const { ${
              pairs.map(([n, l]) => n === l ? n : `${JSON.stringify(n)}: ${l}`).join(", ")
            } } = ${tmp};`,
          );
        }
      }
      return indent + parts.join(" ");
    })
    .replace(IMPORT_BARE, (_m, indent, _q, spec) => `${indent}${req(spec)};`)
    .replace(EXPORT_STAR, (_m, indent, ns, _q, spec) => {
      if (entry) return `${indent}${req(spec)};`;
      if (ns) return `${indent}${getter(ns, req(spec))}`;
      return `${indent}{ const m = ${req(spec)}; for (const k of Object.keys(m)) ` +
        `if (k !== "default" && !(k in exports)) Object.defineProperty(exports, k, ` +
        `{ enumerable: true, configurable: true, get: () => m[k] }); }`;
    })
    .replace(EXPORT_LIST, (_m, indent, list, _q, spec) => {
      const pairs = specifiers(list);
      if (entry) return spec ? `${indent}${req(spec)};` : indent;
      if (spec) {
        const tmp = `__reexport_${exportedCounter++}`;
        return `${indent}const ${tmp} = ${req(spec)}; ` +
          pairs.map(([n, l]) =>
            getter(l, n === "default" ? `${tmp}.default` : `${tmp}[${JSON.stringify(n)}]`)
          ).join(" ");
      }
      // Local bindings: declared anywhere in the module, so read lazily.
      exported.push(...pairs.map(([n, l]) => getter(l, n)));
      return indent;
    })
    .replace(EXPORT_DECLARATION, (_m, indent, kind, name) => {
      if (!entry) exported.push(getter(name, name));
      return `${indent}${kind}${name}`;
    })
    .replace(EXPORT_DEFAULT, (_m, indent) => entry ? indent : `${indent}exports.default = `);
  if (!entry) {
    // Getters first, so a module that imports this one in a cycle sees the
    // bindings that exist by then, as with real modules.
    out = `Object.defineProperty(exports, "__esModule", { value: true }); ${exported.join(" ")}` +
      out;
  }
  return out;
}

/** Parameters of a module's wrapper function, as Node names them. */
const WRAPPER_OPEN = "(function (exports, require, module, __filename, __dirname) {";

/** A module compiled in a run's context, or why it could not be. */
export type LoadedModule = ((...args: unknown[]) => unknown) | string;

/**
 * The files of one run: their text for `fs`-style reads and their code
 * compiled on first `require`, in that run's context only.
 */
export class RunFiles {
  #files = new Map<string, RunFile>();
  #modified = new Map<string, number>();
  #ctx: vm.Context;

  constructor(files: readonly RunFile[] | undefined, ctx: vm.Context) {
    this.#ctx = ctx;
    this.add(files);
  }

  /** Places given files (a session's next run adds its own to those it has). */
  add(files: readonly RunFile[] | undefined): void {
    const now = Date.now();
    for (const file of files ?? []) {
      this.#files.set(file.name, file);
      this.#modified.set(file.name, now);
    }
  }

  /**
   * Writes (or, with `append`, adds to) a file the run made: text, or
   * bytes as base64. Returns why it cannot be written, or null.
   */
  write(name: string, content: string, base64: boolean, append: boolean): string | null {
    if (name.length === 0 || name.length > 255) {
      return `ENAMETOOLONG: name too long, open '${name}'`;
    }
    if (!this.#files.has(name)) {
      if (this.#files.size >= MAX_FILES) return `ENOSPC: too many files, open '${name}'`;
      const prefix = `${name}/`;
      for (const existing of this.#files.keys()) {
        if (existing.startsWith(prefix)) {
          return `EISDIR: illegal operation on a directory, open '${name}'`;
        }
      }
      for (let at = name.indexOf("/"); at !== -1; at = name.indexOf("/", at + 1)) {
        if (this.#files.has(name.slice(0, at))) {
          return `ENOTDIR: not a directory, open '${name}'`;
        }
      }
    }
    if (base64) {
      // Kept canonical, so a file's size can be told from its text.
      try {
        content = bytesToBase64(base64Bytes(content, true));
      } catch {
        return `EINVAL: invalid base64 data, open '${name}'`;
      }
    }
    this.#modified.set(name, Date.now());
    const before = append ? this.#files.get(name) : undefined;
    if (!before) {
      this.#files.set(name, { name, content, encoding: base64 ? "base64" : "utf-8" });
    } else if (!base64 && before.encoding === "utf-8") {
      this.#files.set(name, { ...before, content: before.content + content });
    } else {
      const joined = new Uint8Array([...fileBytes(before), ...base64Bytes(content, base64)]);
      this.#files.set(name, { name, content: bytesToBase64(joined), encoding: "base64" });
    }
    return null;
  }

  /** Removes a file; false when there was none. */
  remove(name: string): boolean {
    this.#modified.delete(name);
    return this.#files.delete(name);
  }

  /** Every file, as the returned-files picker reads them. */
  found(): FoundFile[] {
    return [...this.#files.values()].map((file) => ({
      name: file.name,
      size: file.encoding === "base64"
        ? base64Size(file.content)
        : new TextEncoder().encode(file.content).length,
      modified: this.#modified.get(file.name),
      read: () => fileBytes(file),
    }));
  }

  /** The file names, as JSON text for the prelude. */
  namesJson(): string {
    return JSON.stringify([...this.#files.keys()]);
  }

  /** A file's content as text (UTF-8) or base64 (`binary`); null when absent. */
  read(name: string, binary: boolean): string | null {
    const file = this.#files.get(name);
    if (!file) return null;
    if (binary) {
      return file.encoding === "base64"
        ? file.content
        : bytesToBase64(new TextEncoder().encode(file.content));
    }
    return file.encoding === "base64" ? decodeBase64Text(file.content) : file.content;
  }

  /** The module's wrapper function in the run's context, or an error message. */
  load(name: string): LoadedModule {
    const text = this.read(name, false);
    if (text === null) return `Cannot find module '${name}'`;
    try {
      let source = text;
      if (/\.[mc]?ts$/.test(name)) source = stripTypes(source);
      if (hasModuleSyntax(source)) source = toCommonJs(source, false);
      const script = new vm.Script(`${WRAPPER_OPEN}${source}\n})`, { filename: name });
      return script.runInContext(this.#ctx) as LoadedModule;
    } catch (e) {
      return `${e instanceof Error ? e.message : String(e)} (in ${name})`;
    }
  }
}

/** Most files a run's directory may hold. */
const MAX_FILES = 10_000;

function fileBytes(file: RunFile): Uint8Array {
  return base64Bytes(file.content, file.encoding === "base64");
}

function base64Bytes(content: string, base64: boolean): Uint8Array {
  if (!base64) return new TextEncoder().encode(content);
  const binary = atob(content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Bytes base64 text stands for, without decoding it. */
function base64Size(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor(text.length / 4) * 3 - padding;
}

/** TypeScript without its types (enums and namespaces transformed). */
export function stripTypes(source: string): string {
  try {
    return stripTypeScriptTypes(source, { mode: "strip" });
  } catch {
    return stripTypeScriptTypes(source, { mode: "transform" });
  }
}

function decodeBase64Text(content: string): string {
  const binary = atob(content);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}
