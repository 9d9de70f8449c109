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
  #ctx: vm.Context;

  constructor(files: readonly RunFile[] | undefined, ctx: vm.Context) {
    for (const file of files ?? []) this.#files.set(file.name, file);
    this.#ctx = ctx;
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

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
