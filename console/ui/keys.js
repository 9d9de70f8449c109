// Keys: list, create (the secret shown once, with a copy button), revoke.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { api } from "./api.js";
import { Confirm, Notice, Time } from "./widgets.js";

/** The page; `admin` shows the controls that change things. */
export function Keys({ admin }) {
  const [keys, setKeys] = useState(null);
  const [error, setError] = useState(null);
  const [made, setMade] = useState(null);
  const [revoking, setRevoking] = useState(null);
  const [copied, setCopied] = useState(false);
  const load = () => api("/api/v1/keys").then((d) => setKeys(d.keys), setError);
  useEffect(() => void load(), []);

  async function create(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    setError(null);
    try {
      const key = await api("/api/v1/keys", {
        method: "POST",
        body: { tenant: form.get("tenant"), role: form.get("role"), name: form.get("name") },
      });
      setMade(key);
      setCopied(false);
      e.target.reset();
      load();
    } catch (err) {
      setError(err);
    }
  }

  async function revoke() {
    const id = revoking.id;
    setRevoking(null);
    try {
      await api(`/api/v1/keys/${encodeURIComponent(id)}`, { method: "DELETE" });
      load();
    } catch (err) {
      setError(err);
    }
  }

  return html`<div>
    <${Notice} error=${error} />
    ${
    made && html`
      <section class="card secret" aria-labelledby="made-h">
        <h3 id="made-h">Key ${made.id} made for ${made.tenant}</h3>
        <p>Copy the secret now: it is not shown again.</p>
        <div class="row">
          <code data-secret>${made.key}</code>
          <button type="button" onClick=${async () => {
            await navigator.clipboard?.writeText(made.key).catch(() => {});
            setCopied(true);
          }}>Copy</button>
          <span role="status">${copied ? "Copied" : ""}</span>
        </div>
      </section>
    `
  }
    ${
    admin && html`
      <form class="card form" onSubmit=${create} aria-labelledby="new-key-h">
        <h3 id="new-key-h">New key</h3>
        <label>Tenant <input name="tenant" required maxlength="128" /></label>
        <label>Role <select name="role">
              <option value="runner">runner: runs code</option>
              <option value="viewer">viewer: reads the admin API</option>
              <option value="admin">admin: everything</option>
            </select></label>
        <label>Name <input name="name" required maxlength="100" /></label>
        <button type="submit">Create key</button>
      </form>
    `
  }
    ${
    keys && html`
      <table>
        <caption>${keys.length} keys</caption>
        <thead>
          <tr><th scope="col">Id</th><th scope="col">Tenant</th><th scope="col">Role</th>
              <th scope="col">Name</th><th scope="col">Created</th><th scope="col">Source</th>
              ${admin && html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr>
        </thead>
        <tbody>${keys.map((k) =>
          html`<tr data-key=${k.id}>
        <td><code>${k.id}</code></td><td>${k.tenant ?? "—"}</td><td>${k.role}</td>
        <td>${k.name}</td><td><${Time} value=${k.created_at} /></td><td>${k.source}</td>
        ${
            admin && html`<td>${
              k.source === "api" &&
              html`
                <button type="button" class="danger" onClick=${() => setRevoking(k)}
                  aria-label=${`Revoke ${k.id}`}>Revoke</button>
              `
            }</td>`
          }
      </tr>`
        )}</tbody>
      </table>
    `
  }
    <${Confirm} open=${revoking !== null} title="Revoke key"
      message=${
    revoking
      ? `Key ${revoking.id} (${revoking.name}, tenant ${revoking.tenant}) stops working at once, on every replica.`
      : ""
  }
      confirmLabel="Revoke" onConfirm=${revoke} onCancel=${() => setRevoking(null)} />
  </div>`;
}
