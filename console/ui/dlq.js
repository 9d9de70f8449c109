// Dead letters: stats, a filtered and paged list, a detail view (the
// original code and input, every attempt), retry and discard for one or a
// selection, and purge behind a confirmation naming how many will go.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { api } from "./api.js";
import { Confirm, Notice, Pager, Time } from "./widgets.js";

const PER_PAGE = 25;

function query(filter, page) {
  const q = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  for (const [k, v] of Object.entries(filter)) {
    if (v) q.set(k, k === "from" || k === "to" ? new Date(v).toISOString() : v);
  }
  return q.toString();
}

function Detail({ id }) {
  const [d, setD] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => void api(`/api/v1/dlq/${encodeURIComponent(id)}`).then(setD, setError), [id]);
  if (!d) return html`<${Notice} error=${error}>Loading…<//>`;
  return html`
    <div class="dlq-detail">
      <dl>
          <dt>Owner</dt><dd><code>${d.owner}</code></dd>
          <dt>Retry on</dt><dd>${(d.retry_on ?? []).join(", ") ||
            "—"}; max attempts ${d.max_attempts ?? "default"}</dd>
          <dt>Code (${d.request.language})</dt><dd><pre data-code>${d.request.code}</pre></dd>
          <dt>Input</dt><dd><pre>${JSON.stringify(d.request.input, null, 2)}</pre></dd>
          ${d.request.stdin && html`
            <dt>Stdin</dt>
            <dd>
              <pre>${d.request.stdin}</pre>
            </dd>
          `}
        </dl>
      <table>
        <caption>Attempts</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Started</th>
            <th scope="col">Ended</th>
            <th scope="col">Outcome</th>
            <th scope="col">Run status</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>${(d.history ?? []).map((a) =>
          html`
            <tr data-attempt=${a.attempt}>
              <td>${a.attempt}</td>
              <td>
                <${Time} value=${a.started_at} />
              </td>
              <td>
                <${Time} value=${a.finished_at} />
              </td>
              <td>${a.outcome}</td>
              <td>${a.run_status ?? "—"}</td>
              <td class="wrap">${a.error ?? ""}</td>
            </tr>
          `
        )}</tbody>
      </table>
    </div>
  `;
}

/** The page; `admin` shows retry, discard and purge. */
export function DeadLetters({ admin }) {
  const [filter, setFilter] = useState({});
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);
  const [stats, setStats] = useState(null);
  const [selected, setSelected] = useState(new Set());
  const [open, setOpen] = useState(null);
  const [purging, setPurging] = useState(false);
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const load = () =>
    Promise.all([api(`/api/v1/dlq?${query(filter, page)}`), api("/api/v1/dlq/stats")]).then(
      ([d, s]) => (setData(d), setStats(s), setError(null)),
      setError,
    );
  useEffect(() => void load(), [filter, page]);

  async function act(action, ids) {
    try {
      const r = ids.length === 1
        ? await api(`/api/v1/dlq/${encodeURIComponent(ids[0])}/${action}`, { method: "POST" })
          .then(() => ({ ok: 1 }))
        : await api(`/api/v1/dlq/${action}`, { method: "POST", body: { ids } });
      setNotice(`${action === "retry" ? "Retried" : "Discarded"} ${r.ok} of ${ids.length}`);
      setSelected(new Set());
      load();
    } catch (err) {
      setError(err);
    }
  }

  async function purge() {
    setPurging(false);
    try {
      const r = await api("/api/v1/dlq?confirm=true", { method: "DELETE" });
      setNotice(`Purged ${r.deleted} dead letters`);
      load();
    } catch (err) {
      setError(err);
    }
  }

  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  const pages = data ? Math.max(1, Math.ceil(data.total / PER_PAGE)) : 1;
  const purgeable = stats ? stats.pending + stats.discarded : 0;
  return html`
    <div>
      <${Notice} error=${error} />
      <${Notice}>${notice}<//>
        ${stats && html`<div class="grid stat-cards">
      ${
          ["total", "pending", "retried", "discarded"].map((k) =>
            html`
              <section class="card">
                <h3>${k}</h3>
                <p class="big" data-dlq-stat=${k}>${stats[k]}</p>
              </section>
            `
          )
        }
    </div>`}
        <form class="card filters" aria-label="Filter dead letters" onSubmit=${(e) => {
          e.preventDefault();
          const f = new FormData(e.target);
          setPage(1);
          setFilter(
            Object.fromEntries(
              ["tenant", "language", "status", "q", "from", "to"].map((
                k,
              ) => [k, String(f.get(k) ?? "")]),
            ),
          );
        }}>
          <label>Tenant <input name="tenant" /></label>
          <label>Language <select name="language"><option value="">any</option>
            <option>python</option><option>javascript</option><option>typescript</option></select></label>
          <label>State <select name="status"><option value="">any</option>
            <option>pending</option><option>retried</option><option>discarded</option></select></label>
          <label>Error or code text <input name="q" maxlength="200" /></label>
          <label>From <input name="from" type="datetime-local" /></label>
          <label>To <input name="to" type="datetime-local" /></label>
          <button type="submit">Filter</button>
        </form>
        ${admin && html`
          <div class="row">
            <button type="button" disabled=${!selected.size} onClick=${() =>
              act("retry", [...selected])}>
                  Retry selected (${selected.size})</button>
            <button type="button" class="secondary" disabled=${!selected.size}
              onClick=${() => act("discard", [...selected])}>Discard selected</button>
            <button type="button" class="danger" disabled=${!purgeable} onClick=${() =>
              setPurging(true)}>
                  Purge…</button>
          </div>
        `}
        ${data && html`
          <table>
            <caption>${data.total} dead letters</caption>
            <thead>
              <tr>${admin && html`<th scope="col"><span class="sr-only">Select</span></th>`}
                  <th scope="col">Died</th><th scope="col">State</th><th scope="col">Tenant</th>
                  <th scope="col">Language</th><th scope="col">Attempts</th><th scope="col">Error</th>
                  <th scope="col"><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>${data.dead_letters.map((d) =>
              html`
                <tr data-dlq=${d.id} data-state=${d.state}>
                  ${admin && html`<td><input type="checkbox" aria-label=${`Select ${d.id}`}
            checked=${selected.has(d.id)} onChange=${() => toggle(d.id)} /></td>`}
                  <td><${Time} value=${d.dead_at} /></td><td>${d.state}</td><td>${d.tenant ??
                    "—"}</td>
                  <td>${d.language}</td><td>${d.attempts}</td><td class="wrap">${d.error}</td>
                  <td class="row">
                    <button type="button" class="secondary" aria-expanded=${open === d.id}
                      onClick=${() => setOpen(open === d.id ? null : d.id)}>Details</button>
                    ${admin && html`
                      <button type="button" onClick=${() => act("retry", [d.id])}>Retry</button>
                      <button type="button" class="secondary" onClick=${() =>
                        act("discard", [d.id])}>Discard</button>
                    `}
                  </td>
                </tr>
                ${open === d.id && html`
                  <tr class="detail">
                    <td colspan="8">
                      <${Detail} id=${d.id} />
                    </td>
                  </tr>
                `}
              `
            )}
                </tbody>
          </table>
          <${Pager} page=${page} pages=${pages} onPage=${setPage} />
        `}
        <${Confirm} open=${purging} title="Purge dead letters"
          message=${`${purgeable} dead letters (${stats?.pending ?? 0} pending, ${
            stats?.discarded ?? 0
          } discarded) will be deleted for good. Retried ones stay.`}
          confirmLabel=${`Delete ${purgeable}`} onConfirm=${purge} onCancel=${() =>
            setPurging(false)} />
      </div>
  `;
}
