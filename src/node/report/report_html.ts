import { splitRecords, type MetricsRecord } from './curve_specs.js';

/** A sample grid for the report: its step and the PNG's bytes (embedded as a data: URI). */
export type ReportGrid = Readonly<{ step: number; png: Uint8Array }>;

export type ReportInput = Readonly<{
  /** The run directory's name, for the title. */
  name: string;
  /** The resolved config (config.json). */
  config: unknown;
  /** metrics.jsonl, in order. */
  records: readonly MetricsRecord[];
  /** The curves as one SVG document (inlined). */
  curvesSvg: string;
  /** The latest grid first, then earlier ones. */
  grids: readonly ReportGrid[];
  /** While the run is live the page reloads itself every `refreshSeconds`. */
  live: boolean;
  refreshSeconds?: number;
  /** When the report was built (ISO time). */
  generated: string;
}>;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const cell = (v: unknown): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4) : v.toExponential(3);
  return v === undefined ? '' : escape(typeof v === 'string' ? v : JSON.stringify(v));
};

function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const head = columns.map((c) => `<th>${escape(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${cell(r[c])}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const dataUri = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

/**
 * The run report: one self-contained HTML file (no script, no network; the curves inlined as
 * SVG, the sample grids as data: URIs) with the curves, the latest and earlier sample grids,
 * the table of evaluations (FD with its floor and FD ÷ floor), warnings, the last logged
 * metrics and the resolved config. While `live`, a meta refresh reloads it.
 */
export function reportHtml(r: ReportInput): string {
  const { logs, evals } = splitRecords(r.records);
  const warnings = r.records.filter((x) => typeof x.warning === 'object' && x.warning !== null);
  const evalRows = evals.map((e) => {
    const fd = e.eval.frechetDistance;
    const floor = e.eval.fdFloor;
    return { step: e.step, ...e.eval, ...(typeof fd === 'number' && typeof floor === 'number' && floor > 0 ? { 'FD ÷ floor': fd / floor } : {}) };
  });
  const evalColumns = ['step', ...new Set(evalRows.flatMap((row) => Object.keys(row).filter((k) => k !== 'step')))];
  const last = logs[logs.length - 1];
  const [latest, ...earlier] = r.grids;
  const refresh = r.live ? `<meta http-equiv="refresh" content="${r.refreshSeconds ?? 30}">\n` : '';
  const status = r.live ? 'live: this page reloads itself while the run trains' : 'finished';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
${refresh}<title>puregan run ${escape(r.name)}</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; margin: 1.5em; color: #222; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.85em; } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
th { background: #f4f4f4; } .grids { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
figure { margin: 0; text-align: center; font-size: 0.8em; } img { image-rendering: pixelated; border: 1px solid #ccc; }
pre { background: #f8f8f8; padding: 0.8em; font-size: 0.8em; overflow-x: auto; } .warn { color: #a40; }
</style>
</head>
<body>
<h1>puregan run ${escape(r.name)}</h1>
<p>${escape(status)} · step ${cell(last?.step ?? 0)} · generated ${escape(r.generated)}</p>
<h2>Learning curves</h2>
${r.curvesSvg.replace(/^<\?xml[^>]*>\s*/, '')}
<h2>Samples</h2>
<div class="grids">
${latest ? `<figure><img src="${dataUri(latest.png)}" width="336" alt="samples at step ${latest.step}"><figcaption>latest: step ${latest.step}</figcaption></figure>` : '<p>no sample grid yet</p>'}
${earlier.map((g) => `<figure><img src="${dataUri(g.png)}" width="168" alt="samples at step ${g.step}"><figcaption>step ${g.step}</figcaption></figure>`).join('\n')}
</div>
<h2>Evaluations</h2>
${evalRows.length > 0 ? `<p>FD and KID on the shipped classifier's features, every FD (the floor included) on the same N samples against the same held-out digits; FD is biased by N, so compare only at equal N.</p>\n${table(evalRows, evalColumns)}` : '<p>no evaluation (train with --eval-every K)</p>'}
<h2>Warnings</h2>
${warnings.length > 0 ? `<ul>${warnings.map((w) => `<li class="warn">step ${cell(w.step)}: ${cell((w.warning as { message?: unknown }).message)}</li>`).join('')}</ul>` : '<p>none</p>'}
<h2>Last logged step</h2>
${last ? table([last], Object.keys(last)) : '<p>none yet</p>'}
<h2>Config</h2>
<pre>${escape(JSON.stringify(r.config, null, 2))}</pre>
</body>
</html>
`;
}
