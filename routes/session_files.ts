/**
 * A session's files over HTTP: `PUT`, `GET` and `DELETE
 * /sessions/{id}/files/{path}` and `GET /sessions/{id}/files`. Each is an
 * operation on the session's instance, in turn with its runs.
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorResponse } from "./errors.ts";
import type { AppEnv } from "./app_env.ts";
import type { SessionRegistry } from "../sessions/registry.ts";
import type { Session } from "../sessions/session.ts";
import { BadRequestError, SessionFileTooLargeError } from "../core/errors.ts";
import { fileNameProblem } from "./run_files.ts";
import { bytesToBase64 } from "../workers/returned_files.ts";

/** The paths of session file uploads (`PUT /sessions/{id}/files/{path}`). */
export const SESSION_FILE_PATH = /^\/sessions\/[^/]+\/files\/./;

/**
 * The body limit of a session file upload: `maxBytes`
 * (FAAS_SESSION_MAX_FILE_BYTES) rather than the request limit, checked while
 * the body streams in, so a larger upload is refused before it is held.
 */
export function sessionFileLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const name = c.req.path.replace(/^\/sessions\/[^/]+\/files\//, "");
      let shown = name;
      try {
        shown = decodeURIComponent(name);
      } catch {
        // Shown as sent.
      }
      return errorResponse(
        c,
        new SessionFileTooLargeError(
          `File ${JSON.stringify(shown)} is past FAAS_SESSION_MAX_FILE_BYTES (${maxBytes} bytes)`,
        ),
      );
    },
  });
}

/** What the file routes need. */
export interface SessionFileDeps {
  sessions: SessionRegistry;
  /** Session `id` of `owner`, or why not (on another replica, gone, not found). */
  find(id: string, owner: string): Promise<Session>;
  /** Who owns what the request names (its API key and tenant). */
  ownerOf(c: Context<AppEnv>): string;
}

/** The path after `/files/`, decoded segment by segment and checked. */
function filePath(c: Context<AppEnv>, id: string): string {
  const pathname = new URL(c.req.url).pathname;
  const prefix = `/sessions/${encodeURIComponent(id)}/files/`;
  const raw = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : "";
  let segments: string[];
  try {
    segments = raw.split("/").map(decodeURIComponent);
  } catch {
    segments = [raw];
  }
  const path = segments.join("/");
  // An encoded "/" would make one segment look like two once joined.
  const problem = segments.some((s) => s.includes("/"))
    ? "Must not hold an encoded / (%2F)"
    : fileNameProblem(path);
  if (problem) {
    throw new BadRequestError(`Invalid request: check path (${JSON.stringify(path)})`, [
      { field: "path", message: problem },
    ]);
  }
  return path;
}

/** The session file routes. */
export function sessionFileRoutes(deps: SessionFileDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const { sessions } = deps;
  const limits = sessions.limits;
  const sessionOf = (c: Context<AppEnv>) => deps.find(c.req.param("id") ?? "", deps.ownerOf(c));

  app.get("/sessions/:id/files", async (c) => {
    const session = await sessionOf(c);
    const done = await sessions.files(session, { op: "list" }, c.req.raw.signal);
    const files = (done.files ?? []).map((f) => ({
      name: f.name,
      size: f.size,
      modified: new Date(f.modified).toISOString(),
    }));
    return c.json({ files });
  });

  app.put("/sessions/:id/files/*", async (c) => {
    const session = await sessionOf(c);
    const path = filePath(c, session.id);
    const tooLarge = (bytes: number | string) =>
      new SessionFileTooLargeError(
        `File ${JSON.stringify(path)} is ${bytes} bytes, past FAAS_SESSION_MAX_FILE_BYTES ` +
          `(${limits.maxFileBytes} bytes)`,
      );
    // The app's body limit for this path (sessionFileLimit) already stopped
    // a larger body while it streamed in; this names the file.
    const declared = Number(c.req.header("content-length"));
    if (declared > limits.maxFileBytes) throw tooLarge(declared);
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.length > limits.maxFileBytes) throw tooLarge(body.length);
    const done = await sessions.files(session, {
      op: "put",
      path,
      content: bytesToBase64(body),
      maxTotalBytes: limits.maxFilesBytes,
    }, c.req.raw.signal);
    return c.json({ name: path, size: body.length }, done.created ? 201 : 200);
  });

  app.get("/sessions/:id/files/*", async (c) => {
    const session = await sessionOf(c);
    const path = filePath(c, session.id);
    const done = await sessions.files(session, { op: "get", path }, c.req.raw.signal);
    const binary = atob(done.content ?? "");
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return c.body(bytes, 200, { "content-type": "application/octet-stream" });
  });

  app.delete("/sessions/:id/files/*", async (c) => {
    const session = await sessionOf(c);
    const path = filePath(c, session.id);
    await sessions.files(session, { op: "delete", path }, c.req.raw.signal);
    return c.body(null, 204);
  });

  return app;
}
