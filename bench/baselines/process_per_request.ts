/**
 * YARDSTICK, not part of the service: the naive way to isolate JavaScript,
 * a fresh Deno process per request with no permissions. The benchmark
 * compares against it.
 */
Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("BENCH_PORT")) }, async (req) => {
  if (req.method === "GET") return new Response("ok");
  const { code } = await req.json();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-prompt", `(async () => {\n${code}\n})()`],
    env: { NO_COLOR: "1" },
  }).output();
  const status = out.success ? "success" : "error";
  return Response.json({
    output: { stdout: new TextDecoder().decode(out.stdout), stderr: "", ret_val: "" },
    metadata: { status },
  });
});
