/**
 * A link plan's record as a file: JSON the server writes once it checked
 * the plan against a stock link (python/link_plan_prepare.ts) and hosts
 * read (host/host_link_plan.ts). Reading validates every field's shape, so
 * a damaged file is refused rather than half used.
 */
import type { LinkRecord } from "./link_plan.ts";

/** Bumped whenever the record's meaning changes. */
const FORMAT = 1;

/** `record` as the text of a plan file. */
export function encodeLinkRecord(record: LinkRecord): string {
  return JSON.stringify({
    format: FORMAT,
    exportCount: record.exportCount,
    tableBase: record.tableBase,
    slots: Array.from(record.slots),
    thunks: record.thunks,
    functionAddresses: Array.from(record.functionAddresses),
    gotNames: record.gotNames,
    gotValues: Array.from(record.gotValues),
  });
}

function int32s(value: unknown, what: string): Int32Array {
  if (!Array.isArray(value) || !value.every((v) => Number.isInteger(v) && (v | 0) === v)) {
    throw new Error(`Link plan file: ${what} is not a list of integers`);
  }
  return Int32Array.from(value as number[]);
}

/** The record in the text of a plan file; throws when it is not one. */
export function decodeLinkRecord(text: string): LinkRecord {
  const data = JSON.parse(text) as Record<string, unknown>;
  if (data?.format !== FORMAT) throw new Error("Link plan file: unknown format");
  const { exportCount, tableBase, thunks, gotNames } = data;
  if (!Number.isInteger(exportCount) || !Number.isInteger(tableBase)) {
    throw new Error("Link plan file: counts are not integers");
  }
  if (
    !Array.isArray(thunks) ||
    !thunks.every((t) => typeof t?.name === "string" && typeof t?.sig === "string")
  ) {
    throw new Error("Link plan file: thunks are not names and signatures");
  }
  if (!Array.isArray(gotNames) || !gotNames.every((n) => typeof n === "string")) {
    throw new Error("Link plan file: GOT names are not strings");
  }
  const record: LinkRecord = {
    exportCount: exportCount as number,
    tableBase: tableBase as number,
    slots: int32s(data.slots, "slots"),
    thunks: thunks.map((t) => ({ name: t.name as string, sig: t.sig as string })),
    functionAddresses: int32s(data.functionAddresses, "function addresses"),
    gotNames: gotNames as string[],
    gotValues: int32s(data.gotValues, "GOT values"),
  };
  if (record.gotValues.length !== record.gotNames.length) {
    throw new Error("Link plan file: GOT names and values differ in number");
  }
  for (const s of record.slots) {
    if (s >= record.exportCount || -s - 1 >= record.thunks.length) {
      throw new Error("Link plan file: a slot names no export and no thunk");
    }
  }
  return record;
}
