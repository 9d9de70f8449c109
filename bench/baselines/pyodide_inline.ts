/**
 * YARDSTICK, not part of the service: the naive way to serve Python, one
 * shared in-process Pyodide running each request inside the HTTP handler.
 * No isolation, no timeout, no reset; the benchmark compares against it.
 */
import { loadPyodide } from "pyodide";

const pyodide = await loadPyodide({
  indexURL: new URL("../../node_modules/pyodide/", import.meta.url).pathname,
});
let stdout = "";
pyodide.setStdout({ batched: (line: string) => (stdout += line + "\n") });

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("BENCH_PORT")) }, async (req) => {
  if (req.method === "GET") return new Response("ok");
  const { code } = await req.json();
  stdout = "";
  let status = "success";
  let ret = "";
  try {
    ret = String(pyodide.runPython(code) ?? "");
  } catch {
    status = "error";
  }
  return Response.json({ output: { stdout, stderr: "", ret_val: ret }, metadata: { status } });
});
