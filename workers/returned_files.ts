/**
 * The files a run hands back: those of its working directory matching its
 * `return_files` patterns, in name order, within a count and a byte budget.
 * What does not fit is named, never silently dropped.
 */
import type { RunOutcome } from "../protocol/host_messages.ts";
import { globMatcher } from "./file_glob.ts";

/** Most files one run hands back. */
export const MAX_RETURNED_FILES = 100;
/** Most names `filesOmitted` lists (a run may leave many more files). */
const MAX_OMITTED_NAMES = 1000;

/** A file found in the run's working directory. */
export interface FoundFile {
  /** Relative to the working directory. */
  name: string;
  size: number;
  /** Last written, epoch ms, when known. */
  modified?: number;
  /** Its bytes: read only when the file is handed back. */
  read(): Uint8Array;
}

/**
 * The outcome's `files` and, when some matched but did not fit,
 * `filesOmitted`: files are taken in name order while they fit in
 * MAX_RETURNED_FILES and `maxBytes` of content together.
 */
export function pickFiles(
  found: readonly FoundFile[],
  patterns: readonly string[],
  maxBytes: number,
): Pick<RunOutcome, "files" | "filesOmitted"> {
  const matches = globMatcher(patterns);
  const wanted = found.filter((f) => matches(f.name))
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const files: NonNullable<RunOutcome["files"]> = [];
  const omitted: string[] = [];
  let left = maxBytes;
  for (const file of wanted) {
    if (files.length >= MAX_RETURNED_FILES || file.size > left) {
      if (omitted.length < MAX_OMITTED_NAMES) omitted.push(file.name);
      continue;
    }
    const bytes = file.read();
    left -= bytes.length;
    files.push({ name: file.name, size: bytes.length, content: bytesToBase64(bytes) });
  }
  return omitted.length ? { files, filesOmitted: omitted } : { files };
}

/** The slice of Emscripten's FS a directory walk needs. */
export interface WalkableFs {
  readdir(path: string): string[];
  lstat(path: string): { mode: number; size: number; mtime?: Date | number };
  readFile(path: string): Uint8Array;
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
}

/** Most entries a walk visits: a run may leave a directory tree of any size. */
const MAX_WALKED = 20_000;

/** The regular files under `root` (symbolic links are not followed). */
export function walkFiles(fs: WalkableFs, root: string): FoundFile[] {
  const found: FoundFile[] = [];
  let visited = 0;
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdir(dir)) {
      if (entry === "." || entry === ".." || ++visited > MAX_WALKED) continue;
      const path = dir.endsWith("/") ? dir + entry : `${dir}/${entry}`;
      const stat = fs.lstat(path);
      if (fs.isDir(stat.mode)) walk(path, `${prefix}${entry}/`);
      else if (fs.isFile(stat.mode)) {
        found.push({
          name: prefix + entry,
          size: stat.size,
          modified: stat.mtime === undefined ? undefined : new Date(stat.mtime).getTime(),
          read: () => fs.readFile(path),
        });
      }
    }
  };
  walk(root, "");
  return found;
}

/** Base64 of `bytes`, in chunks (spreading a large array overflows the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
