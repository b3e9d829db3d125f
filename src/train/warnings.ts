/**
 * Warnings that a run looks broken, as a pure function of its metrics history (what
 * metrics.jsonl holds), in the ways the GAN-practice seeds describe. Each rule has a stated
 * threshold over a stated window, counted in logged steps (W = `window`, default 10: with the
 * MNIST presets' log interval of 25 steps, 250 steps) or in evaluations:
 *
 * - `d-collapse`: D wins outright. Over the last W logged steps every `d_loss` is ≥ 0 (a loss
 *   bounded below by 0: non-saturating, minimax, hinge, least squares; never the Wasserstein
 *   critic's), their mean is below `dLossFloor` (0.01), and the mean `g_loss` exceeds that of
 *   the W logged steps before them by more than `gLossRise` (10%).
 * - `grad-vanishing` / `grad-exploding` (`grad_norm_g`, `grad_norm_d` separately): the median
 *   over the last W logged steps is below 1/`gradFactor` (1/1000) or above `gradFactor` times
 *   the median of the run's first W logged steps.
 * - `coverage-falling` (mode collapse): the coverage of the evaluations (classes covered by the
 *   MNIST classifier, or modes covered of a 2-D mixture) is, at each of the last
 *   `coverageEvals` (2) evaluations, at most best − max(1, ⌈`coverageDrop`·best⌉) (20%), where
 *   best is the highest coverage of the evaluations before them.
 * - `sigma-drift` (each `sigma/<layer>` of a spectrally normalised layer): the mean σ over the
 *   last W logged steps differs from the mean of the W before them by more than a factor
 *   `sigmaFactor` (1.5) either way: the raw weight's scale is running away and the power
 *   iteration's estimate lags behind it.
 */
import { ValueError } from '../core/errors.js';

/** One logged step: `{ step, d_loss, g_loss, grad_norm_d, ... }` as metrics.jsonl has it. */
export type LoggedStep = Readonly<{ step: number } & Record<string, number>>;

/** One evaluation's coverage (classes or modes covered) at a step. */
export type CoverageAt = Readonly<{ step: number; coverage: number }>;

export type MetricsHistory = Readonly<{ logs: readonly LoggedStep[]; evals: readonly CoverageAt[] }>;

export type WarningKind = 'd-collapse' | 'grad-vanishing' | 'grad-exploding' | 'coverage-falling' | 'sigma-drift';

export type TrainingWarning = Readonly<{
  kind: WarningKind;
  /** What it is about: the metric (`grad_norm_g`, `sigma/d.0`, ...) or the kind itself. */
  subject: string;
  /** The step of the newest record the rule looked at. */
  step: number;
  /** One line for the console, with the numbers and the threshold. */
  message: string;
}>;

export type WarningThresholds = Readonly<{
  window?: number;
  dLossFloor?: number;
  gLossRise?: number;
  gradFactor?: number;
  coverageDrop?: number;
  coverageEvals?: number;
  sigmaFactor?: number;
}>;

export const DEFAULT_WARNING_THRESHOLDS: Required<WarningThresholds> = Object.freeze({
  window: 10,
  dLossFloor: 0.01,
  gLossRise: 0.1,
  gradFactor: 1000,
  coverageDrop: 0.2,
  coverageEvals: 2,
  sigmaFactor: 1.5,
});

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number): string => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2));

/** The values of `name` in the logged steps that have it (finite ones only). */
const series = (logs: readonly LoggedStep[], name: string): { step: number; value: number }[] =>
  logs.flatMap((l) => (typeof l[name] === 'number' && Number.isFinite(l[name]) ? [{ step: l.step, value: l[name] }] : []));

function dCollapse(logs: readonly LoggedStep[], t: Required<WarningThresholds>): TrainingWarning[] {
  const d = series(logs, 'd_loss');
  const g = series(logs, 'g_loss');
  const w = t.window;
  if (d.length < w || g.length < 2 * w) return [];
  const dLast = d.slice(-w).map((x) => x.value);
  const gLast = mean(g.slice(-w).map((x) => x.value));
  const gBefore = mean(g.slice(-2 * w, -w).map((x) => x.value));
  const dMean = mean(dLast);
  if (!dLast.every((v) => v >= 0) || !(dMean < t.dLossFloor) || !(gLast > gBefore + t.gLossRise * Math.abs(gBefore))) return [];
  return [
    {
      kind: 'd-collapse',
      subject: 'd-collapse',
      step: d[d.length - 1]!.step,
      message: `D loss collapsing: mean d_loss ${fmt(dMean)} < ${t.dLossFloor} over the last ${w} logged steps while mean g_loss rose ${fmt(gBefore)} → ${fmt(gLast)} (> ${100 * t.gLossRise}%): D wins outright, G gets no useful gradient`,
    },
  ];
}

function gradients(logs: readonly LoggedStep[], t: Required<WarningThresholds>): TrainingWarning[] {
  const w = t.window;
  return ['grad_norm_g', 'grad_norm_d'].flatMap((name): TrainingWarning[] => {
    const s = series(logs, name);
    if (s.length < 2 * w) return [];
    const base = median(s.slice(0, w).map((x) => x.value));
    const last = median(s.slice(-w).map((x) => x.value));
    const step = s[s.length - 1]!.step;
    const where = `median ${name} ${fmt(last)} over the last ${w} logged steps vs ${fmt(base)} over the first ${w}`;
    if (last < base / t.gradFactor) return [{ kind: 'grad-vanishing', subject: name, step, message: `gradient norm vanishing: ${where} (< 1/${t.gradFactor} of it)` }];
    if (last > base * t.gradFactor) return [{ kind: 'grad-exploding', subject: name, step, message: `gradient norm exploding: ${where} (> ${t.gradFactor}× it)` }];
    return [];
  });
}

function coverage(evals: readonly CoverageAt[], t: Required<WarningThresholds>): TrainingWarning[] {
  const k = t.coverageEvals;
  if (evals.length < k + 1) return [];
  const best = Math.max(...evals.slice(0, -k).map((e) => e.coverage));
  const limit = best - Math.max(1, Math.ceil(t.coverageDrop * best));
  const last = evals.slice(-k);
  if (!last.every((e) => e.coverage <= limit)) return [];
  return [
    {
      kind: 'coverage-falling',
      subject: 'coverage-falling',
      step: last[last.length - 1]!.step,
      message: `coverage falling (mode collapse?): ${last.map((e) => e.coverage).join(', ')} at the last ${k} evaluations, down from ${best} (threshold ≤ ${limit})`,
    },
  ];
}

function sigmaDrift(logs: readonly LoggedStep[], t: Required<WarningThresholds>): TrainingWarning[] {
  const w = t.window;
  const names = [...new Set(logs.flatMap((l) => Object.keys(l).filter((k) => k.startsWith('sigma/'))))].sort();
  return names.flatMap((name): TrainingWarning[] => {
    const s = series(logs, name);
    if (s.length < 2 * w) return [];
    const last = mean(s.slice(-w).map((x) => x.value));
    const before = mean(s.slice(-2 * w, -w).map((x) => x.value));
    const ratio = last / before;
    if (!(before > 0) || (ratio <= t.sigmaFactor && ratio >= 1 / t.sigmaFactor)) return [];
    return [
      {
        kind: 'sigma-drift',
        subject: name,
        step: s[s.length - 1]!.step,
        message: `σ drifting: mean ${name} ${fmt(before)} → ${fmt(last)} between the two last windows of ${w} logged steps (×${fmt(ratio)}, beyond ${t.sigmaFactor}× either way)`,
      },
    ];
  });
}

/**
 * Every warning whose rule holds at the end of `history` (see the module comment). A caller
 * that runs it after each log or evaluation reports a warning when its `kind`/`subject` pair
 * first appears.
 */
export function trainingWarnings(history: MetricsHistory, thresholds: WarningThresholds = {}): TrainingWarning[] {
  const t = { ...DEFAULT_WARNING_THRESHOLDS, ...thresholds };
  const bad = Object.entries(t).filter(([k, v]) => !(Number.isFinite(v) && v > 0) || ((k === 'window' || k === 'coverageEvals') && !Number.isInteger(v)));
  if (bad.length > 0) throw new ValueError(`trainingWarnings thresholds must be positive numbers (window and coverageEvals integers), got ${bad.map(([k, v]) => `${k} = ${v}`).join(', ')}`);
  return [...dCollapse(history.logs, t), ...gradients(history.logs, t), ...coverage(history.evals, t), ...sigmaDrift(history.logs, t)];
}
