/**
 * A session's file operations (`PUT`/`GET`/`DELETE /sessions/{id}/files/…`
 * and the listing), done by its worker between runs: on Pyodide's
 * filesystem under the working directory (Python), or on the session's
 * in-memory files (JS/TS).
 */
import type { FileOp, FileOpResult, RunOutcome } from "../protocol/host_messages.ts";
import type { RunFiles } from "./js_modules.ts";
import { bytesToBase64, type FoundFile, type WalkableFs, walkFiles } from "./returned_files.ts";

/** The slice of Emscripten's FS the Python side changes files with. */
export interface SessionFs extends WalkableFs {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  mkdirTree(path: string): void;
  cwd(): string;
}

/** The outcome reporting a file operation (it runs no code). */
export function fileOpOutcome(id: number, fileResult: FileOpResult): RunOutcome {
  return {
    id,
    status: "success",
    stdout: "",
    stderr: "",
    retVal: "",
    retValSet: false,
    exitCode: 0,
    truncated: false,
    durationMs: 0,
    fileResult,
  };
}

/** Does `op` on the Python session's working directory. */
export function pythonFileOp(fs: SessionFs, op: FileOp): FileOpResult {
  const cwd = fs.cwd();
  if (op.op === "list") return { ok: true, files: listing(walkFiles(fs, cwd)) };
  const path = `${cwd}/${op.path}`;
  const kind = kindOf(fs, path);
  if (op.op === "put") {
    if (kind === "other") return isDirectory(op.path);
    const before = kind === "file" ? fs.lstat(path).size : 0;
    const bytes = base64Bytes(op.content);
    const total = walkFiles(fs, cwd).reduce((n, f) => n + f.size, 0) - before + bytes.length;
    if (total > op.maxTotalBytes) return tooLarge(op.path, total, op.maxTotalBytes);
    try {
      const slash = path.lastIndexOf("/");
      if (slash > cwd.length) fs.mkdirTree(path.slice(0, slash));
      fs.writeFile(path, bytes);
    } catch {
      return {
        ok: false,
        error: "invalid",
        message: `Cannot write ${JSON.stringify(op.path)}: a directory on its path is a file`,
      };
    }
    return { ok: true, created: kind === "none" };
  }
  if (kind !== "file") return notFound(op.path);
  if (op.op === "get") return { ok: true, content: bytesToBase64(fs.readFile(path)) };
  fs.unlink(path);
  return { ok: true };
}

/** Does `op` on a JS/TS session's in-memory files. */
export function jsFileOp(files: RunFiles, op: FileOp): FileOpResult {
  if (op.op === "list") return { ok: true, files: listing(files.found()) };
  const existing = files.found().find((f) => f.name === op.path);
  if (op.op === "put") {
    const size = base64Bytes(op.content).length;
    const total = files.found().reduce((n, f) => n + f.size, 0) - (existing?.size ?? 0) + size;
    if (total > op.maxTotalBytes) return tooLarge(op.path, total, op.maxTotalBytes);
    const problem = files.write(op.path, op.content, true, false);
    if (problem !== null) return { ok: false, error: "invalid", message: problem };
    return { ok: true, created: existing === undefined };
  }
  if (!existing) return notFound(op.path);
  if (op.op === "get") return { ok: true, content: bytesToBase64(existing.read()) };
  files.remove(op.path);
  return { ok: true };
}

function listing(found: FoundFile[]) {
  return found.map((f) => ({ name: f.name, size: f.size, modified: f.modified ?? 0 }))
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function kindOf(fs: SessionFs, path: string): "file" | "other" | "none" {
  try {
    return fs.isFile(fs.lstat(path).mode) ? "file" : "other";
  } catch {
    return "none";
  }
}

function notFound(path: string): FileOpResult {
  return { ok: false, error: "not_found", message: `No file ${JSON.stringify(path)}` };
}

function isDirectory(path: string): FileOpResult {
  return {
    ok: false,
    error: "invalid",
    message: `Cannot write ${JSON.stringify(path)}: it is a directory`,
  };
}

function tooLarge(path: string, total: number, max: number): FileOpResult {
  return {
    ok: false,
    error: "too_large",
    message: `Writing ${JSON.stringify(path)} would bring the session's files to ${total} ` +
      `bytes, past FAAS_SESSION_MAX_FILES_BYTES (${max} bytes)`,
  };
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
