/**
 * Judge0's `additional_files`: base64 of a zip archive, unpacked into the
 * run's files (base64 content, so any bytes survive). Directories are
 * skipped (a file's path makes its folders); every name must be a run
 * file's name (`fileNameProblem`); the archive may unpack to at most
 * `maxBytes`, as declared by its entries before anything is inflated.
 */
import { unzipSync, type Zippable, zipSync } from "fflate";
import type { RunFile } from "../protocol/host_messages.ts";
import { fileNameProblem, MAX_RUN_FILES } from "./run_files.ts";
import { decodeBase64 } from "./judge0_base64.ts";

/** The files the archive holds, or why it cannot be used. */
export function unpackAdditionalFiles(
  value: string,
  maxBytes: number,
): { files: RunFile[] } | { problem: string } {
  const zip = decodeBase64(value);
  if (!zip) return { problem: "Must be base64 of a zip archive" };
  let problem: string | undefined;
  let total = 0;
  let count = 0;
  let unzipped: Record<string, Uint8Array>;
  try {
    unzipped = unzipSync(zip, {
      filter: (entry) => {
        if (problem || entry.name.endsWith("/")) return false;
        const bad = fileNameProblem(entry.name);
        total += entry.originalSize;
        if (bad) problem = `Holds ${JSON.stringify(entry.name)}, not a usable file name: ${bad}`;
        else if (++count > MAX_RUN_FILES) problem = `Must hold at most ${MAX_RUN_FILES} files`;
        else if (total > maxBytes) problem = `Must unpack to at most ${maxBytes} bytes`;
        return !problem;
      },
    });
  } catch (err) {
    return { problem: `Must be base64 of a zip archive: ${(err as Error).message}` };
  }
  if (problem) return { problem };
  return {
    files: Object.entries(unzipped).map(([name, bytes]) => ({
      name,
      content: bytes.toBase64(),
      encoding: "base64",
    })),
  };
}

/** Files as a zip archive in base64: how Judge0 shows `additional_files`; null for none. */
export function packAdditionalFiles(files: readonly RunFile[] | undefined): string | null {
  if (!files?.length) return null;
  const entries: Zippable = {};
  for (const file of files) {
    entries[file.name] = file.encoding === "base64"
      ? Uint8Array.fromBase64(file.content)
      : new TextEncoder().encode(file.content);
  }
  return zipSync(entries).toBase64();
}
