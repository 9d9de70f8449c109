/**
 * Source evaluated inside every fresh JS run context before the user's code.
 *
 * It builds the run's globals (console, timers, INPUT, STDIN, return_val,
 * process/Deno shims) from the context's own intrinsics. Host functions are
 * captured in closures and never stored where user code can reach them, so
 * no object of the worker's realm leaks into the run; values cross back as
 * strings and numbers only, and an error raised at a call into the host is
 * replaced by one of the run's realm.
 *
 * Evaluates to `install(host, inputJson, stdin, wrapperLine, argsJson,
 * namesJson, entry)`, which returns `start(promise)` to attach the
 * completion handlers to the user's promise. `require()` and the `fs`
 * reads serve the run's own files (see js_modules.ts), nothing else;
 * `process.stdin` and `readline` are built on first use (js_stdin.ts).
 */
import { JS_FILES_SOURCE } from "./js_files.ts";
import { JS_STDIN_SOURCE } from "./js_stdin.ts";
export const JS_PRELUDE_FILENAME = "faas:prelude";

/** The prelude's source text. */
export const JS_PRELUDE = String.raw`"use strict";
(function install(host, inputJson, stdin, wrapperLine, argsJson, namesJson, entry) {
  // Host functions never throw on their own; what can still come out of
  // one is an error of the worker's realm raised at the call (a stack
  // overflow), which must not reach the run: it is swapped for our own.
  const RangeErrorCtor = RangeError;
  const guard = (f) => (...args) => {
    try {
      return f(...args);
    } catch {
      throw new RangeErrorCtor("Maximum call stack size exceeded");
    }
  };
  const write = guard(host.write);
  const setTimer = guard(host.setTimer);
  const clearTimer = guard(host.clearTimer);
  const finish = guard(host.finish);
  const now = guard(host.now);
  const randomUUID = guard(host.randomUUID);
  const fillRandom = guard(host.fillRandom);
  const base64Encode = guard(host.btoa);
  const base64Decode = guard(host.atob);
  const loadModule = guard(host.loadModule);
  const readFile = guard(host.readFile);
  const writeFile = guard(host.writeFile);
  const removeFile = guard(host.removeFile);
  const g = globalThis;
  const makeStdin = ${JS_STDIN_SOURCE};
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const StringCtor = String;
  const ErrorCtor = Error;
  const isArray = Array.isArray;
  const keys = Object.keys;
  const getProto = Object.getPrototypeOf;
  const define = Object.defineProperty;
  const SyntaxErrorCtor = SyntaxError;
  const args = parse(argsJson);
  const names = parse(namesJson);

  function inspect(value, depth, seen) {
    switch (typeof value) {
      case "string": return depth === 0 ? value : stringify(value);
      case "function": return "[Function: " + (value.name || "(anonymous)") + "]";
      case "bigint": return StringCtor(value) + "n";
      case "symbol": return value.toString();
      case "undefined": return "undefined";
      case "object": break;
      default: return StringCtor(value);
    }
    if (value === null) return "null";
    if (value instanceof ErrorCtor) return value.stack || StringCtor(value);
    if (seen.includes(value)) return "[Circular]";
    if (depth > 3) return isArray(value) ? "[Array]" : "[Object]";
    const next = seen.concat([value]);
    if (isArray(value)) {
      const items = value.map((v) => inspect(v, depth + 1, next));
      return items.length ? "[ " + items.join(", ") + " ]" : "[]";
    }
    if (value instanceof Map) {
      const items = [...value].map(([k, v]) => inspect(k, depth + 1, next) + " => " + inspect(v, depth + 1, next));
      return "Map(" + value.size + ") { " + items.join(", ") + " }";
    }
    if (value instanceof Set) {
      const items = [...value].map((v) => inspect(v, depth + 1, next));
      return "Set(" + value.size + ") { " + items.join(", ") + " }";
    }
    if (value instanceof Date) return value.toISOString();
    if (value instanceof RegExp) return StringCtor(value);
    const proto = getProto(value);
    const name = proto && proto !== Object.prototype && proto.constructor && proto.constructor.name;
    const items = keys(value).map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : stringify(k)) + ": " + inspect(value[k], depth + 1, next));
    const body = items.length ? "{ " + items.join(", ") + " }" : "{}";
    return name ? name + " " + body : body;
  }
  const format = (args) => args.map((a) => inspect(a, 0, [])).join(" ") + "\n";
  const out = (...args) => { write(1, format(args)); };
  const err = (...args) => { write(2, format(args)); };
  const counts = new Map();
  g.console = {
    log: out, info: out, debug: out, trace: err, error: err, warn: err,
    dir: (v) => write(1, inspect(v, 1, []) + "\n"),
    table: out,
    assert: (cond, ...args) => { if (!cond) err("Assertion failed:", ...args); },
    count: (label = "default") => { const n = (counts.get(label) || 0) + 1; counts.set(label, n); out(label + ": " + n); },
    time() {}, timeEnd() {}, group: out, groupEnd() {},
  };

  let exitCode = null;
  class ExitSignal {}
  const exit = (code) => {
    exitCode = code === undefined ? 0 : (+code | 0);
    throw new ExitSignal();
  };
  const stream = (fd) => ({ write: (chunk) => { write(fd, StringCtor(chunk)); return true; } });
  const hrtime = (previous) => {
    const ns = Math.round(now() * 1e6);
    let sec = Math.floor(ns / 1e9);
    let nsec = ns % 1e9;
    if (previous) {
      sec -= previous[0];
      nsec -= previous[1];
      if (nsec < 0) { sec--; nsec += 1e9; }
    }
    return [sec, nsec];
  };
  hrtime.bigint = () => BigInt(Math.round(now() * 1e6));
  g.process = {
    exit, argv: ["deno", entry].concat(args), env: {}, platform: "sandbox",
    stdout: stream(1), stderr: stream(2),
    exitCode: undefined,
    // Callbacks run as microtasks; an error in one ends the run, as in a timer.
    nextTick: (fn, ...args) => {
      if (typeof fn !== "function") throw new TypeError("Callback must be a function");
      g.queueMicrotask(() => fn(...args));
    },
    hrtime,
    cwd: () => "/",
  };
  // Standard input as a stream and readline, built when a run first uses them.
  let streams = null;
  const streamsOf = () => streams || (streams = makeStdin(
    stdin,
    (fn) => { setTimer(fn, 0, false); },
    (text) => { write(1, text); },
    (e) => { done(undefined, !(e instanceof ExitSignal), e); },
  ));
  define(g.process, "stdin", {
    get: () => streamsOf().stdin,
    set: (value) => { define(g.process, "stdin", { value, writable: true, configurable: true, enumerable: true }); },
    configurable: true,
    enumerable: true,
  });
  g.Deno = {
    exit, args: args.slice(),
    env: { get: () => undefined, has: () => false, toObject: () => ({}) },
  };

  function timer(repeat) {
    return (fn, ms, ...args) => {
      if (typeof fn !== "function") throw new TypeError("Callback must be a function");
      // An error escaping a timer ends the run, as it would end a process.
      return setTimer(() => {
        try { fn(...args); } catch (e) { done(undefined, !(e instanceof ExitSignal), e); }
      }, +ms || 0, repeat);
    };
  }
  const clear = (id) => { clearTimer(+id || 0); };
  g.setTimeout = timer(false);
  g.setInterval = timer(true);
  g.clearTimeout = clear;
  g.clearInterval = clear;
  g.setImmediate = (fn, ...args) => g.setTimeout(fn, 0, ...args);
  const resolved = Promise.resolve();
  const then = Promise.prototype.then;
  g.queueMicrotask = (fn) => {
    if (typeof fn !== "function") throw new TypeError("Callback must be a function");
    then.call(resolved, () => {
      try { fn(); } catch (e) { done(undefined, !(e instanceof ExitSignal), e); }
    });
  };

  g.performance = { now: () => now() };
  g.crypto = {
    randomUUID: () => randomUUID(),
    getRandomValues: (array) => {
      if (!fillRandom(array)) throw new TypeError("Argument must be an integer typed array of at most 65536 bytes");
      return array;
    },
  };
  g.btoa = (s) => base64Encode(StringCtor(s));
  g.atob = (s) => base64Decode(StringCtor(s));

  // The run's files, as fs and Deno reach them.
  const makeFiles = ${JS_FILES_SOURCE};
  const { fs, readText, fileSet, normalize, dirOf, coded } = makeFiles(
    { readFile, writeFile, removeFile, btoa: base64Encode, atob: base64Decode },
    names,
    stdin,
    g.Deno,
  );

  const EXTENSIONS = ["", ".js", ".ts", ".mjs", ".cjs", ".mts", ".cts", ".json", "/index.js", "/index.ts"];
  const modules = new Map();
  function makeRequire(dir) {
    return function require(specifier) {
      const spec = StringCtor(specifier);
      if (spec === "fs" || spec === "node:fs") return fs;
      if (spec === "readline" || spec === "node:readline") return streamsOf().readline;
      if (spec === "readline/promises" || spec === "node:readline/promises") {
        return streamsOf().readlinePromises;
      }
      if (spec === "process" || spec === "node:process") return g.process;
      let name = null;
      if (/^\.{0,2}\//.test(spec)) {
        const base = normalize(spec.startsWith("/") ? spec : (dir ? dir + "/" : "") + spec);
        if (base !== null) name = EXTENSIONS.map((ext) => base + ext).find((n) => fileSet.has(n)) || null;
      }
      if (name === null) {
        const hint = /^\.{0,2}\//.test(spec) ? "" : " (only the run's own files, as ./name, fs, readline and process can be required)";
        throw coded(new ErrorCtor("Cannot find module '" + spec + "'" + hint), "MODULE_NOT_FOUND");
      }
      const cached = modules.get(name);
      if (cached) return cached.exports;
      const module = { exports: {}, id: name, filename: name, loaded: false };
      modules.set(name, module);
      if (name.endsWith(".json")) {
        module.exports = parse(readText(name, false));
      } else {
        const wrapper = loadModule(name);
        if (typeof wrapper === "string") {
          modules.delete(name);
          throw new SyntaxErrorCtor(wrapper);
        }
        wrapper.call(module.exports, module.exports, makeRequire(dirOf(name)), module, name, dirOf(name));
      }
      module.loaded = true;
      return module.exports;
    };
  }
  g.require = makeRequire(dirOf(entry));
  g.module = { exports: {} };
  g.exports = g.module.exports;

  g.INPUT = parse(inputJson);
  g.STDIN = stdin;
  const MISSING = {};
  let ret = MISSING;
  g.return_val = (value) => { ret = value; };

  function toText(value) {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    try {
      const text = stringify(value);
      if (typeof text === "string") return text;
    } catch {}
    try { return StringCtor(value); } catch { return ""; }
  }

  function errorText(e) {
    if (e instanceof ErrorCtor || (e && typeof e.stack === "string")) {
      const lines = StringCtor(e.stack).split("\n");
      const kept = [lines[0]];
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        if (/user\.[jt]s:/.test(line) && !line.includes(":" + wrapperLine + ":")) kept.push(line);
        else if (names.some((n) => line.includes("(" + n + ":") || line.includes("at " + n + ":"))) kept.push(line);
      }
      return "Uncaught " + kept.join("\n") + "\n";
    }
    return "Uncaught " + inspect(e, 1, []) + "\n";
  }

  function jsonOf(value) {
    try {
      const text = stringify(value);
      return typeof text === "string" ? text : undefined;
    } catch {
      return undefined;
    }
  }

  function exceptionOf(e) {
    try {
      if (e instanceof ErrorCtor || (e && typeof e.stack === "string")) {
        return [StringCtor(e.name || "Error"), StringCtor(e.message === undefined ? "" : e.message)];
      }
      return ["Uncaught", inspect(e, 1, [])];
    } catch {
      return ["Uncaught", ""];
    }
  }

  function exitedCode() {
    if (exitCode !== null) return exitCode;
    const code = g.process && g.process.exitCode;
    return code === undefined || code === null ? null : (+code | 0);
  }

  function done(value, failed, error) {
    const code = exitedCode();
    const explicit = ret !== MISSING;
    if (code !== null) {
      const status = code === 0 ? "success" : "error";
      finish(status, explicit ? toText(ret) : "", explicit, code, explicit ? jsonOf(ret) : undefined);
    } else if (failed) {
      write(2, errorText(error));
      const [type, message] = exceptionOf(error);
      finish("error", "", false, 1, undefined, type, message);
    } else {
      const result = explicit ? ret : value;
      const set = explicit || result !== undefined;
      finish("success", toText(result), set, 0, set ? jsonOf(result) : undefined);
    }
  }

  return function start(promise) {
    promise.then(
      // A program that reads stdin as a stream answers from its listeners.
      (value) => streams ? streams.settled(() => done(value, false, undefined)) : done(value, false, undefined),
      (error) => done(undefined, !(error instanceof ExitSignal), error),
    );
  };
})`;
