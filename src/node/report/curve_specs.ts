/**
 * The learning curves of a run as one Vega-Lite spec (plain JSON data, no rendering here):
 * panels of d_loss and g_loss, the gradient norms (log scale), D(real) and D(fake), and, when
 * the run evaluates, FD (with its floor) and classes or modes covered, each over steps.
 */

/** A metrics.jsonl record: a logged step `{ step, time, ...metrics }` or an evaluation `{ step, eval }`. */
export type MetricsRecord = Readonly<Record<string, unknown>>;

type Point = { step: number; series: string; value: number };

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

/** The logged steps (no `eval` or `warning` field) and the evaluations of a metrics log. */
export function splitRecords(records: readonly MetricsRecord[]): { logs: MetricsRecord[]; evals: { step: number; eval: Record<string, unknown> }[] } {
  const logs: MetricsRecord[] = [];
  const evals: { step: number; eval: Record<string, unknown> }[] = [];
  for (const r of records) {
    if (typeof r.step !== 'number') continue;
    if (typeof r.eval === 'object' && r.eval !== null) evals.push({ step: r.step, eval: r.eval as Record<string, unknown> });
    else if (r.warning === undefined) logs.push(r);
  }
  return { logs, evals };
}

const points = (rows: readonly { step: number; values: Record<string, unknown> }[], series: Readonly<Record<string, string>>): Point[] =>
  rows.flatMap((r) =>
    Object.entries(series).flatMap(([field, name]) => {
      const v = num(r.values[field]);
      return v === undefined ? [] : [{ step: r.step, series: name, value: v }];
    }),
  );

function panel(opts: Readonly<{ title: string; values: Point[]; log?: boolean; points?: boolean; zero?: boolean }>): Record<string, unknown> {
  const { title, values } = opts;
  return {
    title,
    width: 360,
    height: 160,
    data: { values },
    mark: { type: 'line', point: opts.points ?? false, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: null, ...(opts.log ? { scale: { type: 'log' } } : opts.zero ? { scale: { zero: true } } : { scale: { zero: false } }) },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top' } },
    },
  };
}

/**
 * The Vega-Lite spec of a run's curves from its metrics.jsonl records: a grid of panels, two
 * per row. Panels without data (no evaluation yet, no D outputs) are left out; with no logged
 * step at all the spec shows one empty panel.
 */
export function curveSpec(records: readonly MetricsRecord[], title: string): Record<string, unknown> {
  const { logs, evals } = splitRecords(records);
  const logRows = logs.map((r) => ({ step: r.step as number, values: r as Record<string, unknown> }));
  const evalRows = evals.map((e) => ({ step: e.step, values: e.eval }));
  const panels = [
    panel({ title: 'losses', values: points(logRows, { d_loss: 'd_loss', g_loss: 'g_loss' }) }),
    panel({ title: 'gradient norms (log scale)', values: points(logRows, { grad_norm_d: 'grad_norm_d', grad_norm_g: 'grad_norm_g' }).filter((p) => p.value > 0), log: true }),
    panel({ title: 'mean D output', values: points(logRows, { d_real: 'D(real)', d_fake: 'D(fake)' }) }),
    panel({ title: `FD, log scale (N = ${num(evals[0]?.eval.n) ?? '?'} vs held-out digits)`, values: points(evalRows, { frechetDistance: 'FD', fdFloor: 'floor: train digits' }).filter((p) => p.value > 0), log: true, points: true }),
    panel({ title: 'coverage', values: points(evalRows, { classesCovered: 'classes covered', modesCovered: 'modes covered' }), points: true, zero: true }),
  ].filter((p) => ((p.data as { values: Point[] }).values.length > 0));
  const shown = panels.length > 0 ? panels : [panel({ title: 'losses', values: [] })];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    columns: 2,
    concat: shown,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    config: { font: 'DejaVu Sans', view: { stroke: '#ddd' } },
  };
}
