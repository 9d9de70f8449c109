/**
 * The `Server-Timing` header of a run's answer: where the time the caller
 * waited went on the server, phase by phase, so that a slow answer can be
 * read without a trace.
 */
import type { RunPhases } from "../scheduler/scheduler.ts";

/** A run's phases as the route saw them, ms. */
export interface AnswerPhases extends RunPhases {
  /** Reading and validating the request, until the scheduler took it. */
  parseMs: number;
  /** The execution inside the instance, as the worker measured it (part of `runMs`). */
  execMs: number;
  /** From the result's arrival until the answer was built. */
  replyMs: number;
}

/** Phase names in the order they happen, with their `desc` for browsers' dev tools. */
export const PHASES = [
  ["parse", "parseMs", "read and validate"],
  ["queue", "queueMs", "wait in queue"],
  ["start", "startMs", "bind or start instance"],
  ["run", "runMs", "host round trip and execution"],
  ["exec", "execMs", "execution in the instance"],
  ["reply", "replyMs", "build the answer"],
] as const;

/** `parse;dur=0.12;desc="…", queue;dur=…` with durations in ms to 3 decimals. */
export function serverTiming(phases: AnswerPhases): string {
  return PHASES.map(([name, field, desc]) =>
    `${name};dur=${Math.max(0, Math.round(phases[field] * 1000) / 1000)};desc="${desc}"`
  ).join(", ");
}
