// Overview: the service now and over the last 15 minutes, refreshed every
// few seconds from GET /api/v1/overview.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { html } from "./html.js";
import { api } from "./api.js";
import { bytes, Meter, Notice, Time } from "./widgets.js";

const REFRESH_MS = 3000;

/** A uPlot line chart of some series over time, redrawn when its data changes. */
function Chart({ title, series, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(280, box.current.clientWidth);
    plot.current = new uPlot(
      {
        title,
        width,
        height: 180,
        series: [{}, ...series.map((s, i) => ({ label: s, stroke: COLORS[i], width: 2 }))],
        axes: [{ stroke: "#444" }, { stroke: "#444" }],
      },
      data,
      box.current,
    );
    const resize = () =>
      plot.current.setSize({ width: Math.max(280, box.current.clientWidth), height: 180 });
    addEventListener("resize", resize);
    return () => {
      removeEventListener("resize", resize);
      plot.current.destroy();
    };
  }, []);
  useEffect(() => plot.current?.setData(data), [data]);
  return html`<figure class="chart" ref=${box} aria-label=${title}></figure>`;
}

const COLORS = ["#1d4ed8", "#b45309", "#b91c1c", "#047857"];

function Pool({ name, states }) {
  return html`
    <section class="card" aria-labelledby=${`pool-${name}`}>
      <h3 id=${`pool-${name}`}>${name}</h3>
      <dl class="stats">
          ${["warm", "spare", "starting", "busy"].map((s) =>
            html`
              <div>
                <dt>${s}</dt>
                <dd data-stat=${`${name}-${s}`}>${states[s]}</dd>
              </div>
            `
          )}
        </dl>
    </section>
  `;
}

/** The page. */
export function Overview() {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      api("/api/v1/overview").then(
        (d) => !stop && (setData(d), setError(null)),
        (e) => !stop && setError(e),
      );
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  if (!data) return html`<${Notice} error=${error}>Loading…<//>`;
  const last = data.samples.at(-1) ?? {};
  const t = data.samples.map((s) => s.t / 1000);
  const col = (f) => data.samples.map(f);
  const { now } = data;
  const runs = data.samples.reduce((a, s) => a + s.runs.python + s.runs.javascript, 0);
  const cold = data.samples.reduce((a, s) => a + s.cold, 0);
  return html`
    <div>
      <${Notice} error=${error} />
      <p class="muted">Updated <${Time} value=${data.time} />; every ${data.interval_s} s over the
          last ${Math.round(data.window_s / 60)} minutes.</p>
      <div class="grid">
        <${Pool} name="python" states=${now.instances.python} />
        <${Pool} name="javascript" states=${now.instances.javascript} />
        <section class="card" aria-labelledby="queue-h">
          <h3 id="queue-h">Queue</h3>
          <dl class="stats">
              ${Object.entries(now.queued).map(([p, n]) =>
                html`
                  <div>
                    <dt>${p}</dt>
                    <dd data-stat=${`queue-${p}`}>${n}</dd>
                  </div>
                `
              )}
            </dl>
        </section>
        <section class="card" aria-labelledby="runs-h">
          <h3 id="runs-h">Runs</h3>
          <dl class="stats">
            <div>
              <dt>runs/s</dt>
              <dd data-stat="runs-per-s">${last.runsPerS ?? 0}</dd>
            </div>
            <div>
              <dt>p50</dt>
              <dd>${last.p50 ?? "—"} ms</dd>
            </div>
            <div>
              <dt>p95</dt>
              <dd>${last.p95 ?? "—"} ms</dd>
            </div>
            <div>
              <dt>p99</dt>
              <dd>${last.p99 ?? "—"} ms</dd>
            </div>
            <div>
              <dt>new-key rate</dt>
              <dd>${runs ? Math.round((cold / runs) * 100) : 0}%</dd>
            </div>
            <div>
              <dt>new-key start</dt>
              <dd>${last.coldStartMs ?? "—"} ms</dd>
            </div>
            <div>
              <dt>completed</dt>
              <dd data-stat="completed">${now.completed}</dd>
            </div>
            <div>
              <dt>failed</dt>
              <dd>${now.failed}</dd>
            </div>
          </dl>
        </section>
        <section class="card" aria-labelledby="mem-h">
          <h3 id="mem-h">Memory</h3>
          <${Meter} label=${`${bytes(now.memory.usedBytes)} of ${bytes(now.memory.budgetBytes)}`}
            value=${Math.round(now.memory.usedBytes / 2 ** 20)} max=${Math.round(
              now.memory.budgetBytes / 2 ** 20,
            )} />
        </section>
      </div>
      <div class="grid charts">
        <${Chart} title="Runs per second" series=${["runs/s"]} data=${[
          t,
          col((s) => s.runsPerS),
        ]} />
        <${Chart} title="Latency (ms)" series=${["p50", "p95", "p99"]}
          data=${[t, col((s) => s.p50), col((s) => s.p95), col((s) => s.p99)]} />
        <${Chart} title="New keys and their start (ms)" series=${["new keys", "start ms"]}
          data=${[t, col((s) => s.cold), col((s) => s.coldStartMs)]} />
        <${Chart} title="Queued and memory (MiB)" series=${["queued", "memory MiB"]}
          data=${[
            t,
            col((s) => Object.values(s.queued).reduce((a, n) => a + n, 0)),
            col((s) => Math.round(s.memory.usedBytes / 2 ** 20)),
          ]} />
      </div>
      <section aria-labelledby="errors-h">
          <h3 id="errors-h">Recent errors</h3>
          ${data.recent_errors.length === 0
            ? html`<p class="muted">None in this window.</p>`
            : html`
              <table>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Language</th>
                    <th scope="col">Status</th>
                    <th scope="col">Message</th>
                  </tr>
                </thead>
                <tbody>${data.recent_errors.map((e) =>
                  html`
                    <tr>
                      <td>
                        <${Time} value=${e.t} />
                      </td>
                      <td>${e.language}</td>
                      <td>${e.status}</td>
                      <td class="wrap">${e.message}</td>
                    </tr>
                  `
                )}</tbody>
              </table>
            `}
        </section>
    </div>
  `;
}
