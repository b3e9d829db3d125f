import * as E from 'fp-ts/lib/Either.js';
import { type PureganError } from '../core/errors.js';
import { foldIn, type Key } from '../core/random.js';
import { modeMetrics, MODE_METRIC_SAMPLES } from '../data/gaussians.js';
import type { ValidTrainConfig } from '../train/config.js';
import type { LogEvent, RunState } from '../train/loop.js';
import type { RunConfig } from '../train/run_config.js';
import { generatorInputs } from '../train/latent_codes.js';
import { sampleGenerator } from '../train/sample.js';
import { trainingWarnings, type CoverageAt, type LoggedStep } from '../train/warnings.js';
import { saveBestCheckpoint } from './checkpoint.js';
import { MIXTURES } from './run_data.js';
import { makeMnistRunEvaluator, type RunEvaluator } from './run_eval.js';
import { appendMetrics, readMetricsLog, runPaths } from './run_dir.js';
import { setLive, writeRunReport } from './report/write_report.js';

/**
 * What the train command does around `fit` besides logging losses: evaluations
 * (`--eval-every K`) into metrics.jsonl, the best checkpoint by FD, warnings when training
 * looks broken (`train/warnings.ts`), and the run report (index.html). Every record goes to
 * metrics.jsonl:
 *
 *     { step, time, d_loss, ... }                           a logged step
 *     { step, eval: { n, frechetDistance, fdFloor, score, classesCovered, ..., seconds } }
 *     { step, warning: { kind, subject, message } }         the first time a warning holds
 *
 * MNIST runs are evaluated with the shipped classifier on N = `EVAL_SAMPLES` fixed latents:
 * FD, the MNIST score and class coverage at every evaluation, plus KID and precision/recall at
 * the run's last step (O(N²) each); 2-D mixtures with their mode metrics.
 */
export type RunMonitor = Readonly<{
  log(event: LogEvent, time: number): Promise<void>;
  evaluate(run: RunState, step: number, opts: Readonly<{ full: boolean }>): Promise<void>;
  /** The step of the newest evaluation (0 if none). */
  lastEvalStep(): number;
  /** Rebuilds index.html (and the curves); a missing optional package is noted once, not fatal. */
  report(): Promise<void>;
  /** Clears the live marker and writes the final report. */
  close(): Promise<void>;
  /** Seconds spent evaluating (setup included) and writing reports. */
  cost(): Readonly<{ evalSeconds: number; reportSeconds: number; evaluations: number }>;
}>;

export type RunMonitorOptions = Readonly<{
  dir: string;
  config: RunConfig;
  train: ValidTrainConfig;
  runKey: Key;
  /** Prints one line (the progress display's note). */
  note: (line: string) => void;
  /** Write index.html at each report (default true). */
  report?: boolean;
  /** Samples per MNIST evaluation (default `EVAL_SAMPLES`). */
  evalSamples?: number;
}>;

const isNumberRecord = (r: Record<string, unknown>): r is LoggedStep => typeof r.step === 'number' && r.eval === undefined && r.warning === undefined;

/** Opens the monitor of a run (after `openRun`): picks up a resumed run's history, marks the run live. */
export async function openRunMonitor(o: RunMonitorOptions): Promise<E.Either<PureganError, RunMonitor>> {
  const logs: LoggedStep[] = [];
  const evals: CoverageAt[] = [];
  const warned = new Set<string>();
  let bestFd = Infinity;
  let lastEval = 0;
  const previous = await readMetricsLog(o.dir);
  if (E.isRight(previous)) {
    for (const r of previous.right) {
      if (isNumberRecord(r)) logs.push(r);
      const ev = r.eval as Record<string, unknown> | undefined;
      if (ev !== undefined) {
        const c = ev.classesCovered ?? ev.modesCovered;
        if (typeof c === 'number') evals.push({ step: r.step as number, coverage: c });
        if (typeof ev.frechetDistance === 'number') bestFd = Math.min(bestFd, ev.frechetDistance);
        lastEval = Math.max(lastEval, r.step as number);
      }
      const w = r.warning as { kind?: string; subject?: string } | undefined;
      if (w !== undefined) warned.add(`${w.kind}:${w.subject}`);
    }
  }
  const live = await setLive(o.dir, true);
  if (E.isLeft(live)) return live;
  let evaluator: RunEvaluator | undefined;
  let evalSeconds = 0;
  let reportSeconds = 0;
  let evaluations = 0;
  let reportProblem: string | undefined;
  const append = async (record: Record<string, unknown>): Promise<void> => {
    const r = await appendMetrics(o.dir, record);
    if (E.isLeft(r)) throw r.left;
  };
  const checkWarnings = async (): Promise<void> => {
    for (const w of trainingWarnings({ logs, evals })) {
      const id = `${w.kind}:${w.subject}`;
      if (warned.has(id)) continue;
      warned.add(id);
      o.note(`warning at step ${w.step}: ${w.message}`);
      await append({ step: w.step, warning: { kind: w.kind, subject: w.subject, message: w.message } });
    }
  };
  const writeReport = async (live: boolean): Promise<void> => {
    if (o.report === false || reportProblem !== undefined) return;
    const t0 = performance.now();
    const r = await writeRunReport(o.dir, { live });
    reportSeconds += (performance.now() - t0) / 1000;
    if (E.isLeft(r)) {
      reportProblem = r.left.message;
      o.note(`the run report is not written: ${reportProblem}`);
    }
  };
  return E.right({
    async log({ step, metrics }, time) {
      logs.push({ step, ...metrics });
      await append({ step, time, ...metrics });
      await checkWarnings();
    },
    async evaluate(run, step, { full }) {
      const t0 = performance.now();
      let record: Record<string, unknown>;
      let coverage: number;
      if (o.config.data.source === 'gaussians') {
        const points = sampleGenerator(o.train, run.train, generatorInputs({ latent: o.config.latent, infogan: o.train.techniques.infogan, key: foldIn(o.runKey, 3), n: MODE_METRIC_SAMPLES }));
        const m = modeMetrics(MIXTURES[o.config.data.mixture], points);
        record = { modesCovered: m.modesCovered, modes: m.modes, highQualityFraction: m.highQualityFraction, klFromUniform: m.klFromUniform };
        coverage = m.modesCovered;
        o.note(`step ${step}: ${m.modesCovered}/${m.modes} modes covered, ${(100 * m.highQualityFraction).toFixed(1)}% high quality`);
      } else {
        if (evaluator === undefined) {
          const made = await makeMnistRunEvaluator({ run: o.config, train: o.train, key: o.runKey, ...(o.evalSamples === undefined ? {} : { n: o.evalSamples }) });
          if (E.isLeft(made)) throw made.left;
          evaluator = made.right;
        }
        const q = evaluator.evaluate(run.train, { full });
        record = { ...q };
        coverage = q.classesCovered;
        const extra = q.precision === undefined ? '' : `, precision ${q.precision.toFixed(3)}, recall ${q.recall!.toFixed(3)}, KID ${q.kernelDistance!.toExponential(2)}`;
        o.note(`step ${step}: FD ${q.frechetDistance.toFixed(2)} (${(q.frechetDistance / q.fdFloor).toFixed(1)}× the floor ${q.fdFloor.toFixed(2)}, N = ${q.n}), MNIST score ${q.score.toFixed(2)}, ${q.classesCovered}/10 classes${extra}`);
        if (q.frechetDistance < bestFd) {
          bestFd = q.frechetDistance;
          const saved = await saveBestCheckpoint({ dir: runPaths(o.dir).checkpoints, step, tree: run, metadata: { 'run.config': JSON.stringify(o.config) }, metric: { name: 'frechetDistance', value: q.frechetDistance } });
          if (E.isLeft(saved)) throw saved.left;
        }
      }
      evalSeconds += (performance.now() - t0) / 1000;
      evaluations++;
      lastEval = step;
      await append({ step, eval: record });
      evals.push({ step, coverage });
      await checkWarnings();
    },
    lastEvalStep: () => lastEval,
    report: () => writeReport(true),
    async close() {
      const r = await setLive(o.dir, false);
      if (E.isLeft(r)) throw r.left;
      await writeReport(false);
    },
    cost: () => ({ evalSeconds, reportSeconds, evaluations }),
  });
}
