// Audit: the log with filters, a detail view with before and after, and
// export of what the filter shows as CSV or JSON.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { api, download } from "./api.js";
import { Notice, Pager, Time } from "./widgets.js";

const PER_PAGE = 50;

function query(filter, extra = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) {
    if (v === "" || v === undefined || v === null) continue;
    q.set(k, k === "from" || k === "to" ? new Date(v).toISOString() : String(v));
  }
  return q.toString();
}

/** The page. */
export function Audit() {
  const [filter, setFilter] = useState({ action: "", actor: "", from: "", to: "" });
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [actions, setActions] = useState([]);
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    api("/api/v1/audit/actions").then(
      (d) => setActions([...new Set([...d.actions, ...d.seen])]),
      setError,
    );
  }, []);
  useEffect(() => {
    api(`/api/v1/audit?${query(filter, { page, per_page: PER_PAGE })}`).then(
      (d) => (setData(d), setError(null)),
      setError,
    );
  }, [filter, page]);

  function apply(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    setPage(1);
    setFilter(Object.fromEntries(["action", "actor", "from", "to"].map((k) => [k, form.get(k)])));
  }

  async function exportAs(format) {
    try {
      if (format === "csv") {
        const text = await api(`/api/v1/audit?${query(filter, { format: "csv", per_page: 500 })}`);
        download("audit.csv", text, "text/csv");
      } else {
        const d = await api(`/api/v1/audit?${query(filter, { per_page: 500 })}`);
        download("audit.json", JSON.stringify(d.entries, null, 2), "application/json");
      }
    } catch (err) {
      setError(err);
    }
  }

  const pages = data ? Math.max(1, Math.ceil(data.total / PER_PAGE)) : 1;
  return html`<div>
    <${Notice} error=${error} />
    <form class="card filters" onSubmit=${apply} aria-label="Filter the audit log">
      <label>Action <select name="action">
        <option value="">any</option>
        ${actions.map((a) => html`<option value=${a}>${a}</option>`)}
      </select></label>
      <label>Actor key id <input name="actor" /></label>
      <label>From <input name="from" type="datetime-local" /></label>
      <label>To <input name="to" type="datetime-local" /></label>
      <button type="submit">Filter</button>
      <button type="button" class="secondary" onClick=${() => exportAs("csv")}>Export CSV</button>
      <button type="button" class="secondary" onClick=${() => exportAs("json")}>Export JSON</button>
    </form>
    ${
    data && html`
      <table>
        <caption>${data.total} entries</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Role</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
            <th scope="col"><span class="sr-only">Details</span></th>
          </tr>
        </thead>
        <tbody>${data.entries.map((e) =>
          html`
            <tr data-audit=${e.action}>
              <td>
                <${Time} value=${e.time} />
              </td>
              <td><code>${e.actor || "—"}</code></td>
              <td>${e.role || "—"}</td>
              <td>${e.action}</td>
              <td class="wrap">${e.target}</td>
              <td>${e.outcome}</td>
              <td><button type="button" class="secondary" aria-expanded=${open === e.id}
                onClick=${() => setOpen(open === e.id ? null : e.id)}>Details</button></td>
            </tr>
            ${open === e.id && html`
              <tr class="detail">
                <td colspan="7">
                  <dl>
                          <dt>Request id</dt><dd><code>${e.request_id}</code></dd>
                          ${e.reason && html`
                            <dt>Reason</dt>
                            <dd>${e.reason}</dd>
                          `}
                          <dt>Before</dt><dd><pre>${e.before === undefined
                            ? "—"
                            : JSON.stringify(e.before, null, 2)}</pre></dd>
                          <dt>After</dt><dd><pre>${e.after === undefined
                            ? "—"
                            : JSON.stringify(e.after, null, 2)}</pre></dd>
                        </dl>
                </td>
              </tr>
            `}
          `
        )}
            </tbody>
      </table>
      <${Pager} page=${page} pages=${pages} onPage=${setPage} />
    `
  }
  </div>`;
}
