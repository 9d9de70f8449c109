// Usage and quotas: per tenant the runs, CPU, errors and timeouts, a bar
// per quota that turns to a warning at warn_at, an hourly history chart,
// and (admin) editing a tenant's quota.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { html } from "./html.js";
import { api } from "./api.js";
import { Meter, Notice } from "./widgets.js";

const LIMITS = ["invocations_per_day", "cpu_ms_per_day", "max_concurrent"];

function History({ tenant }) {
  const box = useRef(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let plot;
    const from = new Date(Date.now() - 24 * 3600_000).toISOString();
    api(`/api/v1/usage/${encodeURIComponent(tenant)}/history?bucket=hour&from=${from}`).then(
      (d) => {
        const t = d.points.map((p) => Date.parse(p.start) / 1000);
        plot = new uPlot(
          {
            title: `${tenant}: runs per hour, last 24 hours`,
            width: Math.max(280, box.current.clientWidth),
            height: 180,
            series: [
              {},
              { label: "runs", stroke: "#1d4ed8", width: 2 },
              { label: "errors", stroke: "#b91c1c", width: 2 },
            ],
          },
          [t, d.points.map((p) => p.invocations), d.points.map((p) => p.errors)],
          box.current,
        );
      },
      setError,
    );
    return () => plot?.destroy();
  }, [tenant]);
  return html`
    <div>
      <${Notice} error=${error} />
      <figure class="chart" ref=${box}
        aria-label=${`History of ${tenant}`}></figure>
    </div>
  `;
}

function QuotaForm({ tenant, quota, onSaved }) {
  const [error, setError] = useState(null);
  async function save(e) {
    e.preventDefault();
    const form = new FormData(e.target);
    const body = {};
    for (const name of LIMITS) {
      const v = String(form.get(name) ?? "").trim();
      body[name] = v === "" ? null : Number(v);
    }
    const warn = String(form.get("warn_at") ?? "").trim();
    if (warn !== "") body.warn_at = Number(warn);
    try {
      await api(`/api/v1/quota/${encodeURIComponent(tenant)}`, { method: "PUT", body });
      setError(null);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  const limits = quota?.limits ?? {};
  return html`<form class="card form" onSubmit=${save} aria-label=${`Quota of ${tenant}`}>
    <h4>Quota of ${tenant}</h4>
    ${
    LIMITS.map((name) =>
      html`<label>${name.replaceAll("_", " ")} (empty: no limit)
      <input name=${name} type="number" min="0" step="1" value=${limits[name] ?? ""} /></label>`
    )
  }
    <label>warn at (0 to 1)
      <input name="warn_at" type="number" min="0" max="1" step="0.05" value=${
    limits.warn_at ?? 0.8
  } /></label>
    <button type="submit">Save quota</button>
    <${Notice} error=${error} />
  </form>`;
}

/** The page; `admin` shows the quota editor. */
export function Usage({ admin }) {
  const [usage, setUsage] = useState(null);
  const [quotas, setQuotas] = useState({});
  const [open, setOpen] = useState(null);
  const [error, setError] = useState(null);
  const [newTenant, setNewTenant] = useState("");
  const load = () =>
    Promise.all([api("/api/v1/usage"), api("/api/v1/quota")]).then(([u, q]) => {
      setUsage(u.tenants);
      setQuotas(Object.fromEntries(q.quotas.map((x) => [x.tenant, x])));
      setError(null);
    }, setError);
  useEffect(() => void load(), []);
  if (!usage) return html`<${Notice} error=${error}>Loading…<//>`;
  const tenants = [...new Set([...usage.map((u) => u.tenant), ...Object.keys(quotas)])].sort();
  const byTenant = Object.fromEntries(usage.map((u) => [u.tenant, u]));
  return html`<div>
    <${Notice} error=${error} />
    <table>
      <caption>${tenants.length} tenants; usage since the records began</caption>
      <thead><tr><th scope="col">Tenant</th><th scope="col">Runs</th><th scope="col">CPU ms</th>
        <th scope="col">Errors</th><th scope="col">Timeouts</th><th scope="col">Quotas today</th>
        <th scope="col"><span class="sr-only">Details</span></th></tr></thead>
      <tbody>${
    tenants.map((t) => {
      const u = byTenant[t] ?? {};
      const q = quotas[t];
      return html`
        <tr data-tenant=${t} class=${q?.warning ? "warning" : ""}>
          <td>${t === "" ? html`<em>none</em>` : t}</td>
          <td>${u.invocations ?? 0}</td>
          <td>${Math.round(u.cpu_ms ?? 0)}</td>
          <td>${u.errors ?? 0}</td>
          <td>${u.timeouts ?? 0}</td>
          <td class="quotas">${q
            ? LIMITS.filter((n) => q.limits[n] !== null && q.limits[n] !== undefined).map((n) =>
              html`
                <${Meter} label=${n.replaceAll("_", " ")} value=${Math.round(q.used[n] ?? 0)}
                  max=${q.limits[n]} warnAt=${n === "max_concurrent"
                    ? 1
                    : q.limits.warn_at ?? 0.8} />
              `
            )
            : html`<span class="muted">no quota</span>`}
                    ${q?.warning &&
                      html`<strong class="warn-text">Warning: past ${
                        Math.round((q.limits.warn_at ?? 0.8) * 100)
                      }%</strong>`}
                  </td>
          <td><button type="button" class="secondary" aria-expanded=${open === t}
                    onClick=${() => setOpen(open === t ? null : t)}>Details</button></td>
        </tr>
                ${open === t && html`
                  <tr class="detail">
                    <td colspan="7">
                            <${History} tenant=${t} />
                            ${admin &&
                              html`<${QuotaForm} tenant=${t} quota=${q} onSaved=${load} />`}
                          </td>
                  </tr>
                `}
      `;
    })
  }</tbody>
    </table>
    ${
    admin && html`
      <form class="row" onSubmit=${(e) => {
        e.preventDefault();
        if (newTenant) setOpen(newTenant);
      }}>
        <label>Set a quota for another tenant <input value=${newTenant}
              onInput=${(e) => setNewTenant(e.target.value)} /></label>
        <button type="submit" class="secondary">Open</button>
      </form>
    `
  }
    ${
    admin && open && !tenants.includes(open) && html`
      <${QuotaForm} tenant=${open}
        quota=${undefined} onSaved=${load} />
    `
  }
  </div>`;
}
