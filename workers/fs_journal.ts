/**
 * Undo log for Pyodide's in-memory filesystem. Before a run changes a path
 * for the first time, the journal saves what was there; after the run it
 * puts every touched path back, so files never carry over between runs.
 */

/** The slice of Emscripten's FS object the journal wraps and uses. */
export interface EmscriptenFs {
  open(path: string, flags: number | string, mode?: number): unknown;
  unlink(path: string): void;
  rmdir(path: string): void;
  rename(from: string, to: string): void;
  mkdir(path: string, mode?: number): unknown;
  symlink(target: string, link: string): unknown;
  truncate(path: string | object, len: number): void;
  lstat(path: string): { mode: number };
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array): void;
  readlink(path: string): string;
  readdir(path: string): string[];
  chmod(path: string, mode: number): void;
  cwd(): string;
  isDir(mode: number): boolean;
  isLink(mode: number): boolean;
}

type Saved =
  | { kind: "absent"; path: string }
  | { kind: "file"; path: string; data: Uint8Array; mode: number }
  | { kind: "dir"; path: string; mode: number }
  | { kind: "link"; path: string; target: string };

const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

/** Wraps the FS methods that change state and restores changes on demand. */
export class FsJournal {
  #fs: EmscriptenFs;
  #saved: Saved[] = [];
  #seen = new Set<string>();
  #restoring = false;

  /** Installs the wrappers on `fs`; must run before any user code. */
  constructor(fs: EmscriptenFs) {
    this.#fs = fs;
    const original = {
      open: fs.open.bind(fs),
      unlink: fs.unlink.bind(fs),
      rmdir: fs.rmdir.bind(fs),
      rename: fs.rename.bind(fs),
      mkdir: fs.mkdir.bind(fs),
      symlink: fs.symlink.bind(fs),
      truncate: fs.truncate.bind(fs),
    };
    this.#raw = original;
    fs.open = (path, flags, mode) => {
      if (writes(flags)) this.#save(path);
      return original.open(path, flags, mode);
    };
    fs.unlink = (path) => (this.#save(path), original.unlink(path));
    fs.rmdir = (path) => (this.#save(path), original.rmdir(path));
    fs.rename = (from, to) => {
      this.#save(from);
      this.#save(to);
      return original.rename(from, to);
    };
    fs.mkdir = (path, mode) => (this.#save(path), original.mkdir(path, mode));
    fs.symlink = (target, link) => (
      this.#save(link), original.symlink(target, link)
    );
    fs.truncate = (path, len) => (this.#save(path), original.truncate(path, len));
  }

  #raw: {
    unlink(path: string): void;
    rmdir(path: string): void;
    mkdir(path: string, mode?: number): unknown;
    symlink(target: string, link: string): unknown;
  };

  /** Whether the last run changed the filesystem. */
  get dirty(): boolean {
    return this.#saved.length > 0;
  }

  /** Whether a change could not be journaled: the instance must be replaced. */
  broken = false;

  /**
   * Set for a session's instance: its files are its state and are kept,
   * so nothing is journaled (nor restored) any more.
   */
  off = false;

  #save(path: unknown): void {
    // Emscripten passes a node, not a path, when it truncates a file it is
    // opening; the open itself was journaled already.
    if (this.off || this.#restoring || typeof path !== "string") return;
    try {
      this.#saveUnchecked(path);
    } catch {
      this.broken = true;
    }
  }

  #saveUnchecked(path: string): void {
    const abs = absolute(this.#fs.cwd(), path);
    if (this.#seen.has(abs)) return;
    this.#seen.add(abs);
    let mode: number;
    try {
      mode = this.#fs.lstat(abs).mode;
    } catch {
      this.#saved.push({ kind: "absent", path: abs });
      return;
    }
    if (this.#fs.isLink(mode)) {
      this.#saved.push({ kind: "link", path: abs, target: this.#fs.readlink(abs) });
    } else if (this.#fs.isDir(mode)) {
      // A directory's entries are journaled one by one as they change.
      this.#saved.push({ kind: "dir", path: abs, mode });
    } else {
      this.#saved.push({ kind: "file", path: abs, data: this.#fs.readFile(abs), mode });
    }
  }

  /** Puts every path the run touched back as it was, newest change first. */
  restore(): void {
    const fs = this.#fs;
    this.#restoring = true;
    for (let i = this.#saved.length - 1; i >= 0; i--) {
      const entry = this.#saved[i];
      this.#remove(entry.path);
      try {
        if (entry.kind === "file") {
          fs.writeFile(entry.path, entry.data);
          fs.chmod(entry.path, entry.mode);
        } else if (entry.kind === "dir") {
          this.#raw.mkdir(entry.path, entry.mode);
        } else if (entry.kind === "link") {
          this.#raw.symlink(entry.target, entry.path);
        }
      } catch {
        // The parent is gone too; an older entry recreates it first.
      }
    }
    this.#restoring = false;
    this.#saved = [];
    this.#seen.clear();
  }

  #remove(path: string): void {
    let mode: number;
    try {
      mode = this.#fs.lstat(path).mode;
    } catch {
      return;
    }
    if (this.#fs.isDir(mode) && !this.#fs.isLink(mode)) {
      for (const name of this.#fs.readdir(path)) {
        if (name !== "." && name !== "..") this.#remove(`${path}/${name}`);
      }
      this.#raw.rmdir(path);
    } else {
      this.#raw.unlink(path);
    }
  }
}

function writes(flags: number | string): boolean {
  if (typeof flags === "string") return flags !== "r";
  return (flags & O_ACCMODE) !== 0 || (flags & (O_CREAT | O_TRUNC | O_APPEND)) !== 0;
}

/** Resolves `path` against `cwd` and removes `.`/`..` segments. */
export function absolute(cwd: string, path: string): string {
  const parts: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${cwd}/${path}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}
