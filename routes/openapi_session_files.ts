/** The session file routes of the OpenAPI document (`openapi_sessions.ts`). */
import type { PathHelpers } from "./openapi_jobs.ts";

type Json = Record<string, unknown>;

const SESSION_ID = { name: "id", in: "path", required: true, schema: { type: "string" } };
const FILE_PATH = {
  name: "path",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "Relative to the session's working directory, its segments as they are (a/b.txt); " +
    "no leading /, no . or .. segments, at most 255 characters",
};
const NO_SESSION = "No such session (or another key's or tenant's)";
const GONE = "The session's sandbox was killed, or the replica holding it is gone (`replica` " +
  "names it): its state, files included, is lost";
const ELSEWHERE = "The session lives on another replica (its id is in `replica`): route its " +
  "calls to that replica";
const BAD_PATH = "The path is not a file's relative path; details name `path`";

/** The `/sessions/{id}/files` paths. */
export function sessionFilePaths({ error, unauthorized }: PathHelpers): Json {
  return {
    "/sessions/{id}/files": {
      get: {
        operationId: "listSessionFiles",
        summary: "The session's files: those uploaded and those its runs wrote",
        parameters: [SESSION_ID],
        responses: {
          200: {
            description: "The files, by name",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    files: {
                      type: "array",
                      items: {
                        type: "object",
                        properties: {
                          name: { type: "string" },
                          size: { type: "integer" },
                          modified: { type: "string", format: "date-time" },
                        },
                      },
                    },
                  },
                },
                example: {
                  files: [{ name: "data.csv", size: 4, modified: "2025-01-01T12:00:00.000Z" }],
                },
              },
            },
          },
          ...unauthorized,
          404: error(NO_SESSION),
          409: error(ELSEWHERE),
          410: error(GONE),
        },
      },
    },
    "/sessions/{id}/files/{path}": {
      put: {
        operationId: "putSessionFile",
        summary: "Write a file into the session's working directory (the raw body is its bytes)",
        parameters: [SESSION_ID, FILE_PATH],
        requestBody: {
          required: true,
          content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
        },
        responses: {
          200: { description: "Replaced an existing file" },
          201: { description: "Made a new file" },
          400: error(BAD_PATH),
          ...unauthorized,
          404: error(NO_SESSION),
          409: error(ELSEWHERE),
          410: error(GONE),
          413: error(
            "Past FAAS_SESSION_MAX_FILE_BYTES, FAAS_SESSION_MAX_FILES_BYTES (the session's files " +
              "together) or FAAS_MAX_BODY_BYTES; the message names the limit and the path",
          ),
        },
      },
      get: {
        operationId: "getSessionFile",
        summary: "Read a file of the session",
        parameters: [SESSION_ID, FILE_PATH],
        responses: {
          200: {
            description: "The file's bytes",
            content: {
              "application/octet-stream": { schema: { type: "string", format: "binary" } },
            },
          },
          400: error(BAD_PATH),
          ...unauthorized,
          404: error("No such session, or no such file (the message names the path)"),
          409: error(ELSEWHERE),
          410: error(GONE),
        },
      },
      delete: {
        operationId: "deleteSessionFile",
        summary: "Remove a file of the session",
        parameters: [SESSION_ID, FILE_PATH],
        responses: {
          204: { description: "Removed" },
          400: error(BAD_PATH),
          ...unauthorized,
          404: error("No such session, or no such file (the message names the path)"),
          409: error(ELSEWHERE),
          410: error(GONE),
        },
      },
    },
  };
}
