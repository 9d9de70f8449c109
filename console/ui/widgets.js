// Small pieces every page uses: status lines, a confirmation dialog, times.
import { useEffect, useRef } from "preact/hooks";
import { html } from "./html.js";

/** An error or notice line, announced to screen readers. */
export function Notice({ error, children }) {
  if (!error && !children) return null;
  return html`<p class=${error ? "notice error" : "notice"} role=${error ? "alert" : "status"}>
    ${error ? error.message ?? String(error) : children}
  </p>`;
}

/**
 * A modal confirmation: `message` says what will happen; confirm and
 * cancel are buttons, Escape cancels, focus starts on cancel.
 */
export function Confirm({ open, title, message, confirmLabel, onConfirm, onCancel }) {
  const ref = useRef(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return html`
    <dialog ref=${ref} aria-labelledby="confirm-title" onCancel=${(e) => {
      e.preventDefault();
      onCancel();
    }}>
      <h2 id="confirm-title">${title}</h2>
      <p>${message}</p>
      <div class="row">
        <button type="button" class="secondary" autofocus onClick=${onCancel}>Cancel</button>
        <button type="button" class="danger" onClick=${onConfirm}>${confirmLabel}</button>
      </div>
    </dialog>
  `;
}

/** A time as the browser's locale shows it, with the ISO form on hover. */
export function Time({ value }) {
  if (!value) return html`<span>—</span>`;
  const d = new Date(value);
  return html`<time datetime=${d.toISOString()} title=${d.toISOString()}>${d.toLocaleString()}</time>`;
}

/** Bytes in a readable unit. */
export function bytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** A labelled progress bar that turns to a warning at `warnAt` (0-1). */
export function Meter({ label, value, max, warnAt = 0.8 }) {
  const ratio = max ? Math.min(1, value / max) : 0;
  const warn = max && value / max >= warnAt;
  return html`
    <div class="meter">
      <div class="meter-label"><span>${label}</span><span>${value} / ${max ?? "∞"}</span></div>
      <div class=${warn ? "bar warn" : "bar"} role="progressbar" aria-label=${label}
        aria-valuemin="0" aria-valuemax=${max ?? 0} aria-valuenow=${value}>
        <div style=${{ width: `${(ratio * 100).toFixed(1)}%` }}></div>
      </div>
    </div>
  `;
}

/** Previous and next page buttons with where the list stands. */
export function Pager({ page, pages, onPage }) {
  return html`
    <nav class="row" aria-label="Pages">
      <button type="button" class="secondary" disabled=${page <= 1}
        onClick=${() => onPage(page - 1)}>Previous</button>
      <span>Page ${page} of ${pages}</span>
      <button type="button" class="secondary" disabled=${page >= pages}
        onClick=${() => onPage(page + 1)}>Next</button>
    </nav>
  `;
}
