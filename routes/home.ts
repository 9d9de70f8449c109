/**
 * `GET /`: where to go from here. API clients get JSON naming the main
 * routes; browsers a short page linking the docs and health.
 */
import type { Context } from "hono";

/** The JSON answer of `GET /`. */
export function homeDocument(version: string) {
  return {
    service: "faas-sandbox",
    version,
    run: "POST /run_code",
    docs: "/docs",
    openapi: "/openapi.json",
    health: "/health",
    runtimes: "/runtimes",
  };
}

const PAGE = (version: string) =>
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>faas-sandbox</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>faas-sandbox ${version}</h1>
<p>Runs Python, JavaScript and TypeScript snippets in a sandbox: <code>POST /run_code</code>.</p>
<ul>
<li><a href="/docs">API documentation</a> (try it in the browser)</li>
<li><a href="/health">Health</a> and <a href="/runtimes">runtimes</a></li>
<li><a href="/openapi.json">OpenAPI document</a></li>
</ul>
</body>
</html>
`;

/** Answers `GET /` in the form the client asked for. */
export function homeHandler(version: string) {
  const json = homeDocument(version);
  const html = PAGE(version.replace(/[<>&"]/g, ""));
  return (c: Context) => {
    const accept = c.req.header("accept") ?? "";
    return accept.includes("text/html") ? c.html(html) : c.json(json);
  };
}
