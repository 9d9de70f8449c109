/**
 * Drives a POST endpoint with wrk (Debian's package; `ensureWrk` installs it
 * when missing and running as root). A Lua script sets the body, counts
 * responses whose run did not succeed, and prints a JSON summary.
 */

/** What one wrk run measured. */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Socket errors, non-2xx responses and runs whose status was not success. */
  errors: number;
}

/** Installs wrk through apt when it is not on PATH. */
export async function ensureWrk(): Promise<void> {
  const found = await new Deno.Command("sh", { args: ["-c", "command -v wrk"] }).output();
  if (found.success) return;
  console.error("wrk not found; installing Debian's wrk package");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await new Deno.Command("apt-get", { args: ["update", "-qq"], env }).output();
  const install = await new Deno.Command("apt-get", { args: ["install", "-y", "-qq", "wrk"], env })
    .output();
  if (!install.success) {
    throw new Error("Could not install wrk (apt-get install wrk); install it and retry");
  }
}

function luaScript(body: string): string {
  return `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = ${JSON.stringify(body)}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failures = 0 end
function response(status, headers, body)
  if status == 200 and not string.find(body, '"status":"success"', 1, true) then
    failures = failures + 1
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests":%d,"us":%d,"errors":%d,"p50":%d,"p95":%d,"p99":%d}\\n',
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status + failed,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
`;
}

/** Runs wrk against `url` posting `body` with `connections` for `seconds`. */
export async function runWrk(
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const script = await Deno.makeTempFile({ suffix: ".lua" });
  await Deno.writeTextFile(script, luaScript(body));
  try {
    const out = await new Deno.Command("wrk", {
      args: [
        `-t${Math.min(2, connections)}`,
        `-c${connections}`,
        `-d${seconds}s`,
        "--timeout",
        "30s",
        "-s",
        script,
        url,
      ],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const line = text.split("\n").find((l) => l.startsWith("WRK_JSON "));
    if (!line) {
      throw new Error(`wrk printed no summary:\n${text}${new TextDecoder().decode(out.stderr)}`);
    }
    const j = JSON.parse(line.slice(9));
    const secs = j.us / 1e6;
    return {
      requests: j.requests,
      seconds: secs,
      rps: j.requests / secs,
      p50Ms: j.p50 / 1000,
      p95Ms: j.p95 / 1000,
      p99Ms: j.p99 / 1000,
      errors: j.errors,
    };
  } finally {
    await Deno.remove(script);
  }
}
