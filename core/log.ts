/**
 * Structured logging: JSON lines (`FAAS_LOG_FORMAT=json`) or readable text,
 * filtered by level (`FAAS_LOG_LEVEL`). Callers pass fields, never code,
 * input or output unless the level is debug, and never a secret.
 */

/** Log levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Output format. */
export type LogFormat = "json" | "text";

/** Values a log line may carry. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Writes one line per event to stdout (errors to stderr). */
export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  #min: number;
  #write: (line: string, level: LogLevel) => void;

  /** @param write where lines go; defaults to stdout/stderr. */
  constructor(
    level: LogLevel = "info",
    format: LogFormat = "text",
    write?: (line: string, level: LogLevel) => void,
  ) {
    this.level = level;
    this.format = format;
    this.#min = LOG_LEVELS.indexOf(level);
    this.#write = write ?? ((line, lvl) => {
      if (lvl === "error" || lvl === "warn") console.error(line);
      else console.log(line);
    });
  }

  /** Whether lines at `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#min;
  }

  /** Logs at debug level. */
  debug(msg: string, fields: LogFields = {}): void {
    this.#log("debug", msg, fields);
  }

  /** Logs at info level. */
  info(msg: string, fields: LogFields = {}): void {
    this.#log("info", msg, fields);
  }

  /** Logs at warn level. */
  warn(msg: string, fields: LogFields = {}): void {
    this.#log("warn", msg, fields);
  }

  /** Logs at error level. */
  error(msg: string, fields: LogFields = {}): void {
    this.#log("error", msg, fields);
  }

  #log(level: LogLevel, msg: string, fields: LogFields): void {
    if (!this.enabled(level)) return;
    const ts = new Date().toISOString();
    if (this.format === "json") {
      this.#write(JSON.stringify({ ts, level, msg, ...fields }), level);
      return;
    }
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "string" && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`);
    this.#write(
      `${ts} ${level.toUpperCase().padEnd(5)} ${msg}${parts.length ? " " + parts.join(" ") : ""}`,
      level,
    );
  }
}
