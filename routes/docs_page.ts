/**
 * `GET /docs`: Swagger UI over `/openapi.json`, served from the installed
 * `swagger-ui-dist` package (no request leaves the service, so the page
 * works offline). Its "Try it out" runs snippets, with a sample request per
 * language to pick from.
 */
import { absolutePath } from "swagger-ui-dist";

/** The package files the page loads, by name under `/docs/`. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

/** The page's assets, read once: name → body and content type. */
export function loadDocsAssets(): Map<string, { body: Uint8Array<ArrayBuffer>; type: string }> {
  const dir = absolutePath();
  const out = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
  for (const [name, type] of Object.entries(ASSETS)) {
    out.set(name, { body: Deno.readFileSync(`${dir}/${name}`), type });
  }
  return out;
}

/** The page itself; `docs/...` and `openapi.json` resolve next to `/docs`. */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faas-sandbox API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<style>body { margin: 0; } .topbar { display: none; }</style>
</head>
<body>
<div id="ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#ui",
    deepLinking: true,
    tryItOutEnabled: true,
    displayOperationId: true,
    defaultModelsExpandDepth: 1,
    persistAuthorization: true,
  });
</script>
</body>
</html>
`;
