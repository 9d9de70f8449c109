// Retention and settings: per kind of kept data its count, oldest, size and
// days; editing the days and the automatic clean-up; "Clean up now" with
// what it deleted; the effective settings grouped, secrets masked, the
// ones that change while running editable, the others marked as start-up.
import { useEffect, useState } from "preact/hooks";
import { html } from "./html.js";
import { api } from "./api.js";
import { bytes, Confirm, Notice, Time } from "./widgets.js";

const DAYS_KEY = {
  jobs: "retention.jobs_days",
  dead_letters: "retention.dead_letters_days",
  audit: "retention.audit_days",
  usage_history: "retention.usage_days",
};

function Setting({ entry, admin, onSaved }) {
  const [error, setError] = useState(null);
  const [value, setValue] = useState(entry.value);
  const boolean = typeof entry.value === "boolean";
  async function save(e) {
    e.preventDefault();
    const parsed = boolean ? value : typeof entry.value === "number" ? Number(value) : value;
    try {
      await api(`/api/v1/settings/${encodeURIComponent(entry.key)}`, {
        method: "PUT",
        body: { value: parsed },
      });
      setError(null);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  const shown = entry.value === null
    ? "—"
    : typeof entry.value === "object"
    ? JSON.stringify(entry.value)
    : String(entry.value);
  return html`
    <tr data-setting=${entry.key}>
      <th scope="row"><code>${entry.key}</code></th>
      <td class="wrap">${admin && entry.runtime_editable
        ? html`<form class="row" onSubmit=${save} aria-label=${`Change ${entry.key}`}>
        ${
          boolean
            ? html`<label><input type="checkbox" checked=${value}
              onChange=${(e) => setValue(e.target.checked)} /> on</label>`
            : html`
              <label class="sr-only" for=${`s-${entry.key}`}>${entry.key}</label>
              <input id=${`s-${entry.key}`} value=${value ?? ""}
                onInput=${(e) => setValue(e.target.value)} />
            `
        }
        <button type="submit">Save</button>
        <${Notice} error=${error} />
      </form>`
        : shown}</td>
      <td>${entry.source}</td>
      <td>${entry.runtime_editable
        ? "while running"
        : html`<span class="muted">restart</span>`}</td>
      <td class="wrap">${(entry.env ?? []).join(", ")}</td>
    </tr>
  `;
}

/** The page; `admin` shows the controls that change things. */
export function Retention({ admin }) {
  const [stats, setStats] = useState(null);
  const [settings, setSettings] = useState(null);
  const [deleted, setDeleted] = useState(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState(null);
  const load = () =>
    Promise.all([api("/api/v1/retention/stats"), api("/api/v1/settings")]).then(
      ([r, s]) => (setStats(r), setSettings(s), setError(null)),
      setError,
    );
  useEffect(() => void load(), []);

  async function cleanUp() {
    setConfirming(false);
    try {
      const r = await api("/api/v1/retention/cleanup", { method: "POST", body: {} });
      setDeleted(r.deleted);
      load();
    } catch (err) {
      setError(err);
    }
  }

  if (!stats || !settings) return html`<${Notice} error=${error}>Loading…<//>`;
  const kinds = Object.keys(DAYS_KEY).filter((k) => stats[k]);
  const all = Object.values(settings).flat();
  const auto = all.find((s) => s.key === "retention.auto");
  return html`<div>
    <${Notice} error=${error} />
    <table>
      <caption>What is kept</caption>
      <thead><tr><th scope="col">Data</th><th scope="col">Count</th><th scope="col">Oldest</th>
        <th scope="col">Size</th><th scope="col">Kept for (days)</th></tr></thead>
      <tbody>${
    kinds.map((k) =>
      html`
        <tr data-kind=${k}>
          <th scope="row">${k.replace("_", " ")}</th>
          <td>${stats[k].count}</td>
          <td>
            <${Time} value=${stats[k].oldest} />
          </td>
          <td>${bytes(stats[k].bytes)}</td>
          <td>${stats[k].days}</td>
        </tr>
      `
    )
  }</tbody>
    </table>
    <p>Automatic clean-up (every hour): <strong>${auto?.value ? "on" : "off"}</strong>.</p>
    ${
    admin && html`
      <div class="row">
        <button type="button" class="danger" onClick=${() =>
          setConfirming(true)}>Clean up now</button>
      </div>
    `
  }
    ${
    deleted &&
    html`<p class="notice" role="status" data-deleted>Deleted ${
      Object.entries(deleted).map(([k, n]) => `${n} ${k.replace("_", " ")}`).join(", ")
    }.</p>`
  }
    <h3>Settings</h3>
    ${
    Object.entries(settings).map(([group, entries]) =>
      html`
        <table>
          <caption>${group}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
              <th scope="col">Changes</th>
              <th scope="col">Variable</th>
            </tr>
          </thead>
          <tbody>${entries.map((e) =>
            html`
              <${Setting} key=${`${e.key}:${String(e.value)}`}
                entry=${e} admin=${admin} onSaved=${load} />
            `
          )}</tbody>
        </table>
      `
    )
  }
    <${Confirm} open=${confirming} title="Clean up now"
      message=${`Deletes what is older than each kind's days: ${
    kinds.map((k) => `${k.replace("_", " ")} older than ${stats[k].days} days`).join(", ")
  }.`}
      confirmLabel="Clean up" onConfirm=${cleanUp} onCancel=${() => setConfirming(false)} />
  </div>`;
}
