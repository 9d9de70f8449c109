/**
 * The settings that may change while the service runs: how long each kind
 * of kept data stays (`retention.*`) and the per-key limits (`keys.*`).
 * A change is kept in the admin store, so it outlives a restart and every
 * replica sharing the store takes it up (each reads the store again every
 * few seconds). Every other setting is read at start-up: changing it is
 * refused, naming the variable to set and restart with.
 */
import type { Config } from "../config/config.ts";
import { BadRequestError, ConflictError, NotFoundError } from "../core/errors.ts";
import {
  SETTING_GROUPS,
  type SettingGroup,
  type SettingSpec,
  STARTUP_SETTINGS,
} from "./settings_catalog.ts";
import type { AdminStore } from "./types.ts";

/** A setting as the admin API shows it. */
export interface SettingEntry {
  key: string;
  value: unknown;
  /** Where the value comes from: the environment, the default, or a change made while running. */
  source: "env" | "default" | "runtime";
  runtime_editable: boolean;
  /** The environment variables it is read from, if any. */
  env: readonly string[];
}

/** How long each kind of kept data stays, days, and whether it is cleaned up every hour. */
export interface RetentionSettings {
  jobsDays: number;
  deadLettersDays: number;
  auditDays: number;
  usageDays: number;
  auto: boolean;
}

/** A setting that may change while the service runs. */
interface RuntimeSpec extends SettingSpec {
  /** Why `value` cannot be taken; undefined when it can. */
  check(value: unknown): string | undefined;
}

const MS_PER_DAY = 86_400_000;
const MAX_DAYS = 3650;

/** Dead letters, audit entries and usage history are kept this long unless told otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

const days = (allowZero: boolean) => (v: unknown) =>
  typeof v === "number" && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && v <= MAX_DAYS
    ? undefined
    : `Must be a number of days ${allowZero ? "from 0" : "above 0"} to ${MAX_DAYS}`;

const whole = (max: number) => (v: unknown) =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max
    ? undefined
    : `Must be a whole number from 0 to ${max} (0: no limit)`;

const runtime = (
  group: SettingGroup,
  key: string,
  env: readonly string[],
  value: (config: Config) => unknown,
  check: (value: unknown) => string | undefined,
): RuntimeSpec => ({ key, group, env, value, check });

/** The settings that may change while the service runs. */
export const RUNTIME_SETTINGS: readonly RuntimeSpec[] = [
  runtime(
    "security",
    "keys.max_concurrent",
    ["FAAS_KEY_MAX_CONCURRENT"],
    (c) => c.keyMaxConcurrent,
    whole(1_000_000),
  ),
  runtime(
    "security",
    "keys.runs_per_minute",
    ["FAAS_KEY_RUNS_PER_MINUTE"],
    (c) => c.keyRunsPerMinute,
    whole(100_000_000),
  ),
  // Finished jobs are kept FAAS_JOB_TTL unless changed here.
  runtime(
    "retention",
    "retention.jobs_days",
    ["FAAS_JOB_TTL"],
    (c) => c.jobTtlMs / MS_PER_DAY,
    days(false),
  ),
  runtime("retention", "retention.dead_letters_days", [], () => DEFAULT_RETENTION_DAYS, days(true)),
  runtime("retention", "retention.audit_days", [], () => DEFAULT_RETENTION_DAYS, days(true)),
  runtime("retention", "retention.usage_days", [], () => DEFAULT_RETENTION_DAYS, days(true)),
  runtime(
    "retention",
    "retention.auto",
    [],
    () => true,
    (v) => typeof v === "boolean" ? undefined : "Must be true or false",
  ),
];

const RUNTIME = new Map(RUNTIME_SETTINGS.map((s) => [s.key, s]));
const STARTUP = new Map(STARTUP_SETTINGS.map((s) => [s.key, s]));

/** The settings in effect, with what was changed while running. */
export class RuntimeSettings {
  #store: AdminStore;
  #config: Config;
  #changed = new Map<string, unknown>();
  #listeners = new Set<() => void>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(store: AdminStore, config: Config) {
    this.#store = store;
    this.#config = config;
  }

  /** Reads the changes kept in the store; listeners hear when any differs. */
  async refresh(): Promise<void> {
    const stored = await this.#store.runtimeSettings();
    const next = new Map<string, unknown>();
    // A kept value this version no longer takes is left out, not applied.
    for (const [key, value] of Object.entries(stored)) {
      const spec = RUNTIME.get(key);
      if (spec && spec.check(value) === undefined) next.set(key, value);
    }
    const same = next.size === this.#changed.size &&
      [...next].every(([k, v]) => JSON.stringify(this.#changed.get(k)) === JSON.stringify(v));
    this.#changed = next;
    if (!same) this.#notify();
  }

  /** Reads the store again every `ms` (changes made on other replicas) until `close()`. */
  start(ms = 5000): void {
    this.#timer ??= setInterval(() => this.refresh().catch(() => {}), ms);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Calls `listener` after each change of a runtime setting. */
  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #value(key: string): unknown {
    return this.#changed.has(key) ? this.#changed.get(key) : RUNTIME.get(key)!.value(this.#config);
  }

  /** How long each kind of kept data stays now. */
  get retention(): RetentionSettings {
    return {
      jobsDays: this.#value("retention.jobs_days") as number,
      deadLettersDays: this.#value("retention.dead_letters_days") as number,
      auditDays: this.#value("retention.audit_days") as number,
      usageDays: this.#value("retention.usage_days") as number,
      auto: this.#value("retention.auto") as boolean,
    };
  }

  /** The per-key limits now (0: none). */
  get keyLimits(): { maxConcurrent: number; runsPerMinute: number } {
    return {
      maxConcurrent: this.#value("keys.max_concurrent") as number,
      runsPerMinute: this.#value("keys.runs_per_minute") as number,
    };
  }

  #entry(spec: SettingSpec): SettingEntry {
    const editable = RUNTIME.has(spec.key);
    const changed = editable && this.#changed.has(spec.key);
    const fromEnv = spec.env.some((name) => this.#config.fromEnv.has(name));
    return {
      key: spec.key,
      value: editable ? this.#value(spec.key) : spec.value(this.#config),
      source: changed ? "runtime" : fromEnv ? "env" : "default",
      runtime_editable: editable,
      env: spec.env,
    };
  }

  /** Every setting, by group. */
  entries(): Record<SettingGroup, SettingEntry[]> {
    const groups = Object.fromEntries(SETTING_GROUPS.map((g) => [g, [] as SettingEntry[]]));
    for (const spec of [...STARTUP_SETTINGS, ...RUNTIME_SETTINGS]) {
      groups[spec.group].push(this.#entry(spec));
    }
    return groups as Record<SettingGroup, SettingEntry[]>;
  }

  /** One setting; NotFoundError naming it when there is none. */
  entry(key: string): SettingEntry {
    const spec = RUNTIME.get(key) ?? STARTUP.get(key);
    if (!spec) {
      throw new NotFoundError(`No setting ${JSON.stringify(key.slice(0, 100))}`, [{
        field: "key",
        message: "Must be one of the keys GET /api/v1/settings lists",
      }]);
    }
    return this.#entry(spec);
  }

  /**
   * Changes a runtime setting, kept in the store; the entry before and
   * after. NotFoundError for an unknown key, ConflictError for one read at
   * start-up only, BadRequestError naming `value` for a value it cannot take.
   */
  async set(key: string, value: unknown): Promise<{ before: SettingEntry; after: SettingEntry }> {
    const before = this.entry(key);
    const spec = RUNTIME.get(key);
    if (!spec) {
      const how = before.env.length
        ? `set ${before.env.join(" or ")} and restart the service`
        : "restart the service with it changed";
      throw new ConflictError(`Setting ${key} is read at start-up only: ${how}`, [{
        field: "key",
        message: "Needs a restart; only runtime_editable settings change while running",
      }]);
    }
    const fault = spec.check(value);
    if (fault !== undefined) {
      throw new BadRequestError("Invalid request: check value", [{
        field: "value",
        message: fault,
      }]);
    }
    await this.#store.setRuntimeSetting(key, value, Date.now());
    this.#changed.set(key, value);
    this.#notify();
    return { before, after: this.#entry(spec) };
  }
}
