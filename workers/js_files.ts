/**
 * Source of the run's files as Node and Deno programs reach them, for the
 * JS prelude: `require("fs")` (`readFileSync`, `writeFileSync`,
 * `appendFileSync`, `existsSync`, `readdirSync`, `unlinkSync`, `rmSync`,
 * `mkdirSync` and their `promises`), and `Deno`'s file functions. A path is
 * relative to the run's directory; the files live in the host's map, reached
 * through host functions that take and return strings only, so nothing of
 * the worker's realm reaches the run.
 *
 * Evaluates to `makeFiles(host, names, stdin, deno)`: `host` holds the
 * guarded host functions (`readFile`, `writeFile`, `removeFile`, `btoa`,
 * `atob`), `names` the run's file names, `stdin` its standard input (file
 * descriptor 0 and `/dev/stdin`); `deno` gets the `Deno` file functions.
 * Returns `{ fs, readText, fileSet, normalize, dirOf, coded }` for the
 * prelude's `require`.
 */
export const JS_FILES_SOURCE = String.raw`(function makeFiles(host, names, stdin, deno) {
  const StringCtor = String;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const define = Object.defineProperty;
  const U8 = Uint8Array;
  const isView = ArrayBuffer.isView;
  const fromCharCode = String.fromCharCode;
  // Made on first use: building the Web APIs (TextEncoder among them) is
  // deferred until a run needs one, and most runs never do.
  let encoder;
  const encodeText = (text) => (encoder || (encoder = new TextEncoder())).encode(text);
  const { readFile, writeFile, removeFile } = host;
  const base64Encode = host.btoa;
  const base64Decode = host.atob;

  // The run's files: a path is relative to the run's directory ("/" and
  // "./" mean the same); ".." may not leave it.
  function normalize(path) {
    const parts = [];
    for (const part of StringCtor(path).split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (!parts.length) return null;
        parts.pop();
      } else parts.push(part);
    }
    return parts.join("/");
  }
  const dirOf = (name) => name.includes("/") ? name.slice(0, name.lastIndexOf("/")) : "";
  // Kept in step with the host's map as the run writes and removes files.
  const fileSet = new Set(names);
  const coded = (error, code) => { error.code = code; return error; };
  function readText(path, binary) {
    const name = normalize(path);
    const text = name === null ? null : readFile(name, binary);
    if (text === null) {
      throw coded(new ErrorCtor("ENOENT: no such file or directory, open '" + path + "'"), "ENOENT");
    }
    return text;
  }
  function toBytes(b64) {
    const binary = base64Decode(b64);
    const bytes = new U8(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  // Bytes as Node's fs hands them out (a Buffer): a Uint8Array whose
  // toString() decodes them, so that readFileSync(0).toString() and
  // String(bytes) give the text, as programs written for Node expect.
  let decoder;
  const subarray = U8.prototype.subarray;
  function latin1(bytes, mask) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      const chunk = bytes.subarray(i, i + 0x8000);
      text += fromCharCode.apply(null, mask === 0xff ? chunk : chunk.map((b) => b & mask));
    }
    return text;
  }
  function asBuffer(bytes) {
    define(bytes, "toString", {
      value: (encoding, start, end) => {
        const part = subarray.call(bytes, start === undefined ? 0 : +start, end === undefined ? bytes.length : +end);
        const name = encoding === undefined ? "utf8" : StringCtor(encoding).toLowerCase();
        if (name === "utf8" || name === "utf-8") {
          return (decoder || (decoder = new TextDecoder())).decode(part);
        }
        if (name === "latin1" || name === "binary") return latin1(part, 0xff);
        if (name === "ascii") return latin1(part, 0x7f);
        if (name === "base64") return base64Encode(latin1(part, 0xff));
        if (name === "hex") {
          let hex = "";
          for (let i = 0; i < part.length; i++) hex += (part[i] < 16 ? "0" : "") + part[i].toString(16);
          return hex;
        }
        throw new TypeErrorCtor("Unknown encoding: " + StringCtor(encoding));
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
    // Its parts decode the same way.
    for (const method of ["subarray", "slice"]) {
      const original = bytes[method];
      define(bytes, method, {
        value: (start, end) => asBuffer(original.call(bytes, start, end)),
        writable: true,
        configurable: true,
        enumerable: false,
      });
    }
    return bytes;
  }
  function readFileSync(path, options) {
    const encoding = typeof options === "string" ? options : options && options.encoding;
    // Standard input, as programs written for judges read it.
    if (path === 0 || path === "/dev/stdin") {
      return encoding ? stdin : asBuffer(encodeText(stdin));
    }
    if (!encoding) return asBuffer(toBytes(readText(path, true)));
    return encoding === "base64" ? readText(path, true) : readText(path, false);
  }
  function children(path) {
    const dir = normalize(path);
    if (dir === null) return null;
    const prefix = dir ? dir + "/" : "";
    const found = new Set();
    for (const name of fileSet) {
      if (name.startsWith(prefix)) found.add(name.slice(prefix.length).split("/")[0]);
    }
    return dir === "" || found.size ? [...found].sort() : null;
  }
  // Bytes cross to the host as base64 text: no object of this realm goes.
  function bytesBase64(data) {
    const bytes = data instanceof U8 ? data : new U8(data.buffer, data.byteOffset, data.byteLength);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return base64Encode(binary);
  }
  function writeData(path, data, options, append) {
    const encoding = typeof options === "string" ? options : options && options.encoding;
    const name = normalize(path);
    if (!name) {
      throw coded(new ErrorCtor("ENOENT: no such file or directory, open '" + path + "'"), "ENOENT");
    }
    let text;
    let base64 = false;
    if (isView(data)) {
      text = bytesBase64(data);
      base64 = true;
    } else if (data instanceof ArrayBuffer) {
      text = bytesBase64(new U8(data));
      base64 = true;
    } else {
      text = StringCtor(data);
      base64 = encoding === "base64";
    }
    const problem = writeFile(name, text, base64, append === true);
    if (problem !== null) throw coded(new ErrorCtor(problem), StringCtor(problem).split(":")[0]);
    fileSet.add(name);
  }
  function removePath(path) {
    const name = normalize(path);
    if (name === null || !removeFile(name)) {
      throw coded(new ErrorCtor("ENOENT: no such file or directory, unlink '" + path + "'"), "ENOENT");
    }
    fileSet.delete(name);
  }
  const fs = {
    readFileSync,
    writeFileSync: (path, data, options) => writeData(path, data, options, options && options.flag === "a"),
    appendFileSync: (path, data, options) => writeData(path, data, options, true),
    // Directories exist as long as files are in them.
    mkdirSync: () => undefined,
    unlinkSync: removePath,
    rmSync: (path, options) => {
      try { removePath(path); } catch (e) { if (!(options && options.force)) throw e; }
    },
    existsSync: (path) => {
      const name = normalize(path);
      return name !== null && (fileSet.has(name) || children(path) !== null);
    },
    readdirSync: (path) => {
      const list = children(path === undefined ? "." : path);
      if (list === null) {
        throw coded(new ErrorCtor("ENOENT: no such file or directory, scandir '" + path + "'"), "ENOENT");
      }
      return list;
    },
  };
  fs.promises = {
    readFile: async (path, options) => readFileSync(path, options),
    writeFile: async (path, data, options) => fs.writeFileSync(path, data, options),
    appendFile: async (path, data, options) => writeData(path, data, options, true),
    mkdir: async () => undefined,
    unlink: async (path) => removePath(path),
  };
  const denoAppend = (options) => !!(options && options.append);
  deno.writeTextFileSync = (path, text, options) => writeData(path, StringCtor(text), undefined, denoAppend(options));
  deno.writeTextFile = async (path, text, options) => deno.writeTextFileSync(path, text, options);
  deno.writeFileSync = (path, data, options) => writeData(path, data, undefined, denoAppend(options));
  deno.writeFile = async (path, data, options) => deno.writeFileSync(path, data, options);
  deno.mkdirSync = () => undefined;
  deno.mkdir = async () => undefined;
  deno.removeSync = (path) => removePath(path);
  deno.remove = async (path) => removePath(path);
  deno.readTextFileSync = (path) => readText(path, false);
  deno.readTextFile = async (path) => readText(path, false);
  deno.readFileSync = (path) => toBytes(readText(path, true));
  deno.readFile = async (path) => toBytes(readText(path, true));

  return { fs, readText, fileSet, normalize, dirOf, coded };
})`;
