/**
 * How long the operator console takes to load at the client: the page,
 * then its files in the waves a browser fetches them (stylesheets and the
 * entry module, the modules it imports, the packages they import), then its
 * data (who the key is, the overview). Rendering is not included.
 */

const WAVES = [
  ["console.css", "uplot.css", "app.js"],
  ["api.js", "html.js", "widgets.js", "overview.js", "keys.js", "audit.js", "pages.js"],
  ["preact.mjs", "hooks.mjs", "htm.mjs", "uplot.mjs"],
];

/** Loads the console `count` times with `key`; p50 and p95 of the whole load, ms. */
export async function consoleLoad(
  url: string,
  key: string,
  count: number,
): Promise<{ p50Ms: number; p95Ms: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  const get = async (path: string, auth = false) => {
    const res = await fetch(`${url}${path}`, {
      headers: auth ? { authorization: `Bearer ${key}` } : {},
    });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    return (await res.arrayBuffer()).byteLength;
  };
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    let size = await get("/console");
    for (const wave of WAVES) {
      const sizes = await Promise.all(wave.map((f) => get(`/console/assets/${f}`)));
      size += sizes.reduce((a, n) => a + n, 0);
    }
    size += await get("/api/v1/me", true);
    size += await get("/api/v1/overview", true);
    times.push(performance.now() - started);
    bytes = size;
  }
  times.sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] * 100) / 100;
  return { p50Ms: at(0.5), p95Ms: at(0.95), bytes };
}
