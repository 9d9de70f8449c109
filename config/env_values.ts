/** Zod readers of environment values: each names the variable in its message. */
import { z } from "zod";

/** A decimal integer from `min` to `max`, `fallback` when unset or blank. */
export const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.string().optional().transform((raw, ctx) => {
    if (raw === undefined || raw.trim() === "") return fallback;
    // Decimal digits only: Number() would also take "0x10", "1e3" or "0b1".
    const value = /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
      });
      return z.NEVER;
    }
    return value;
  });

/** An optional http(s) URL. */
export const url = (name: string) =>
  z.string().optional().transform((raw, ctx) => {
    const value = raw?.trim();
    if (!value) return undefined;
    try {
      const u = new URL(value);
      if (u.protocol === "http:" || u.protocol === "https:") return value;
    } catch {
      // Reported below.
    }
    ctx.addIssue({ code: "custom", message: `${name} must be an http(s) URL, got "${raw}"` });
    return z.NEVER;
  });

/** A list of names separated by commas or spaces, each matching `pattern`. */
export const nameList = (name: string, pattern: RegExp) =>
  z.string().optional().transform((raw, ctx) => {
    const names = (raw ?? "").split(/[\s,]+/).filter(Boolean);
    const bad = names.find((n) => !pattern.test(n));
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `${name} holds an invalid name "${bad}"` });
      return z.NEVER;
    }
    return [...new Set(names)];
  });

/** `true`/`1`/`yes` or `false`/`0`/`no` (any case), `fallback` when unset or blank. */
export const bool = (name: string, fallback: boolean) =>
  z.string().optional().transform((raw, ctx) => {
    const value = raw?.trim().toLowerCase();
    if (!value) return fallback;
    if (["true", "1", "yes"].includes(value)) return true;
    if (["false", "0", "no"].includes(value)) return false;
    ctx.addIssue({ code: "custom", message: `${name} must be true or false, got "${raw}"` });
    return z.NEVER;
  });
