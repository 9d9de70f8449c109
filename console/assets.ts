/**
 * The console's files, read once at start: its own pages (`console/ui/`)
 * and the pinned npm packages they load (Preact, htm, uPlot), served by the
 * service itself so the console needs no network beyond it.
 */
import { createHash } from "node:crypto";

/** One file as served. */
export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

const root = new URL("../", import.meta.url);
const vendor = (path: string) => new URL(`node_modules/${path}`, root);
const own = (name: string) => new URL(`console/ui/${name}`, root);

/** What each served name is read from. */
const FILES: Record<string, { from: URL; type: string }> = {
  "preact.mjs": { from: vendor("preact/dist/preact.mjs"), type: JS },
  "hooks.mjs": { from: vendor("preact/hooks/dist/hooks.mjs"), type: JS },
  "htm.mjs": { from: vendor("htm/dist/htm.mjs"), type: JS },
  "uplot.mjs": { from: vendor("uplot/dist/uPlot.esm.js"), type: JS },
  "uplot.css": { from: vendor("uplot/dist/uPlot.min.css"), type: CSS },
  "console.css": { from: own("console.css"), type: CSS },
};
for (const entry of Deno.readDirSync(own(""))) {
  if (entry.isFile && entry.name.endsWith(".js")) {
    FILES[entry.name] = { from: own(entry.name), type: JS };
  }
}

/** Reads every file; a missing one stops start-up naming it. */
export function loadConsoleAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, { from, type }] of Object.entries(FILES)) {
    try {
      out.set(name, { body: Deno.readFileSync(from), type });
    } catch (err) {
      throw new Error(
        `Console file ${name} cannot be read from ${from.pathname} (run deno task install): ${
          (err as Error).message
        }`,
      );
    }
  }
  return out;
}

/** Where the pages find their modules. */
const IMPORT_MAP = JSON.stringify({
  imports: {
    "preact": "./console/assets/preact.mjs",
    "preact/hooks": "./console/assets/hooks.mjs",
    "htm": "./console/assets/htm.mjs",
    "uplot": "./console/assets/uplot.mjs",
  },
});

/** The page shell: everything else loads from `/console/assets/`. */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="./console/assets/uplot.css">
<link rel="stylesheet" href="./console/assets/console.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="./console/assets/app.js"></script>
</head>
<body><div id="app"></div><noscript>The console needs JavaScript.</noscript></body>
</html>
`;

/**
 * The page's Content-Security-Policy: nothing from anywhere but the
 * service; the inline import map allowed by its hash alone.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${createHash("sha256").update(IMPORT_MAP).digest("base64")}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
