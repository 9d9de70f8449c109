/**
 * `GET /docs`: a self-contained page (no assets from elsewhere, so it works
 * offline) that lists the operations of /openapi.json and runs snippets.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>faas-sandbox API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
  code, textarea, pre { font: 13px/1.4 ui-monospace, monospace; }
  .op { border: 1px solid #ccc; border-radius: 6px; padding: .5rem 1rem; margin: .5rem 0; }
  .method { font-weight: bold; text-transform: uppercase; margin-right: .5rem; }
  textarea { width: 100%; height: 8rem; }
  pre { background: #f5f5f5; padding: 1rem; overflow: auto; max-height: 30rem; }
  label { display: inline-block; margin: .25rem 1rem .25rem 0; }
</style>
</head>
<body>
<h1>faas-sandbox API</h1>
<p>The machine-readable document: <a href="openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Try <code>POST /run_code</code></h2>
<form id="run">
  <label>language <select name="language">
    <option>python</option><option>javascript</option><option>typescript</option>
  </select></label>
  <label>priority <select name="priority">
    <option>normal</option><option>urgent</option><option>high</option><option>low</option>
  </select></label>
  <label>timeout (ms) <input name="timeout" type="number" value="5000" min="1"></label>
  <label>API key <input name="key" type="password" autocomplete="off"></label>
  <textarea name="code">print("hello")\nsum(INPUT)</textarea>
  <label>input (JSON) <input name="input" value="[1, 2, 3]" size="40"></label>
  <button>Run</button>
</form>
<pre id="result">(the response appears here)</pre>
<h2>Operations</h2>
<div id="ops">Loading…</div>
<script type="module">
const doc = await (await fetch("openapi.json")).json();
const ops = document.getElementById("ops");
ops.textContent = "";
for (const [path, methods] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(methods)) {
    const div = document.createElement("div");
    div.className = "op";
    const head = document.createElement("div");
    head.innerHTML = '<span class="method"></span><code></code> — <span></span>';
    head.children[0].textContent = method;
    head.children[1].textContent = path;
    head.children[2].textContent = op.summary ?? "";
    const list = document.createElement("ul");
    for (const [status, r] of Object.entries(op.responses)) {
      const li = document.createElement("li");
      li.textContent = status + ": " + (r.description ?? "");
      list.append(li);
    }
    div.append(head, list);
    ops.append(div);
  }
}
document.getElementById("run").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const out = document.getElementById("result");
  let input;
  try { input = f.get("input") ? JSON.parse(f.get("input")) : undefined; }
  catch { out.textContent = "input is not valid JSON"; return; }
  const headers = { "content-type": "application/json" };
  if (f.get("key")) headers.authorization = "Bearer " + f.get("key");
  const res = await fetch("run_code", {
    method: "POST",
    headers,
    body: JSON.stringify({
      language: f.get("language"), code: f.get("code"), priority: f.get("priority"),
      timeout: Number(f.get("timeout")), input,
    }),
  });
  out.textContent = res.status + " " + res.statusText + "\\n" + JSON.stringify(await res.json(), null, 2);
});
</script>
</body>
</html>
`;
