/** Judge0's submission statuses, with the descriptions Judge0 gives them (app/enumerations/status.rb). */

/** Every Judge0 status, by id. */
export const JUDGE0_STATUSES = [
  { id: 1, description: "In Queue" },
  { id: 2, description: "Processing" },
  { id: 3, description: "Accepted" },
  { id: 4, description: "Wrong Answer" },
  { id: 5, description: "Time Limit Exceeded" },
  { id: 6, description: "Compilation Error" },
  { id: 7, description: "Runtime Error (SIGSEGV)" },
  { id: 8, description: "Runtime Error (SIGXFSZ)" },
  { id: 9, description: "Runtime Error (SIGFPE)" },
  { id: 10, description: "Runtime Error (SIGABRT)" },
  { id: 11, description: "Runtime Error (NZEC)" },
  { id: 12, description: "Runtime Error (Other)" },
  { id: 13, description: "Internal Error" },
  { id: 14, description: "Exec Format Error" },
] as const;

/** A Judge0 status id. */
export type Judge0StatusId = (typeof JUDGE0_STATUSES)[number]["id"];

/** The statuses this service gives, by name. */
export const STATUS = {
  inQueue: 1,
  processing: 2,
  accepted: 3,
  wrongAnswer: 4,
  timeLimitExceeded: 5,
  compilationError: 6,
  runtimeErrorNzec: 11,
  runtimeErrorOther: 12,
  internalError: 13,
} as const satisfies Record<string, Judge0StatusId>;

/** A status as Judge0 shows it: `{id, description}`. */
export function statusBody(id: Judge0StatusId): { id: Judge0StatusId; description: string } {
  return { id, description: JUDGE0_STATUSES[id - 1].description };
}
