import { ShapeError, ValueError } from '../core/errors.js';
import { foldIn, split, type Key } from '../core/random.js';
import { item, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';
import { epochIterator, nextBatch, takeRows, type EpochIterator } from '../data/iterate.js';
import { resolveTrainConfig, type TrainConfig, type ValidTrainConfig } from './config.js';
import { makeTrainStep } from './iteration.js';
import { readMetrics } from './metrics.js';
import { initTrainState, type TrainState } from './state.js';

/**
 * The training driver: `await fit(options)` runs iterations of `makeTrainStep` (under `jit`
 * unless told otherwise) until the run's total step count, its time budget, an abort, or a
 * non-finite iteration. It has no I/O of its own: logging,
 * evaluation, sample grids and checkpoints are hooks (the CLI's sinks in `src/node/` are
 * hooks), so a script gets everything the CLI has.
 *
 * Everything a run needs to continue bit for bit is one plain pytree, the `RunState`:
 *
 *     { train: TrainState, key, data: EpochIterator }
 *
 * Iteration t (0-based, the absolute step) draws its randomness from `foldIn(key, t)` and its
 * nDis real batches from the epoch iterator, so a run stopped after N steps and resumed from its
 * RunState draws exactly what the uninterrupted run draws. Schedules read the optimisers' own
 * counts, which are in the train state, so they too are functions of the absolute step.
 */
export type RunState = Readonly<{ train: TrainState; key: Key; data: EpochIterator }>;

/** The real data: `x` `[N, ...dataShape]` and, for a class-conditional config, class ids `labels` `[N]`; batches are rows of them. */
export type FitData = Readonly<{ x: Tensor; labels?: Tensor }>;

/** What a log hook receives: the absolute step just completed and its metrics as numbers. */
export type LogEvent = Readonly<{ step: number; metrics: Readonly<Record<string, number>> }>;

/** Why `fit` returned: the step count reached, the time budget spent, an abort, or a non-finite iteration. */
export type StopReason = 'steps' | 'time' | 'aborted' | 'non-finite';

export type FitHooks = Readonly<{
  /** Every `every.log` steps (and at the last), with the step's metrics read on the host. */
  onLog?: (event: LogEvent) => void | Promise<void>;
  /** Every `every.eval` steps. */
  onEval?: (run: RunState, step: number) => void | Promise<void>;
  /** Every `every.sample` steps. */
  onSample?: (run: RunState, step: number) => void | Promise<void>;
  /** Every `every.checkpoint` steps, at the end of the run, and when aborted (not after a non-finite step). */
  onCheckpoint?: (run: RunState, step: number) => void | Promise<void>;
}>;

export type FitEvery = Readonly<{ log?: number; eval?: number; sample?: number; checkpoint?: number }>;

export type FitOptions = Readonly<{
  config: TrainConfig | ValidTrainConfig;
  data: FitData;
  /** The run's total step count (max_steps): a resumed run at step N with steps = 2N runs N more. */
  steps: number;
  batchSize: number;
  /** The run's key, needed when `state` is absent (a resumed run's keys are in its state). */
  key?: Key;
  /** A RunState to continue (from a checkpoint), or none to start afresh from `key`. */
  state?: RunState;
  /** Hook intervals in steps; 0 or absent turns a hook's interval off (default log: 1). */
  every?: FitEvery;
  hooks?: FitHooks;
  signal?: AbortSignal;
  /**
   * Run the iteration under `jit` (default true here; `makeTrainStep`'s `jit` option says
   * what it does and when a config runs op by op regardless): traced once, then compiled by the
   * backend (fused elementwise groups, planned buffers, one Adam kernel per optimiser on wasm).
   */
  jit?: boolean;
  /**
   * A wall-clock budget in seconds for this call (hooks included): no iteration starts after it
   * is spent, and `fit` returns with `stopped: 'time'` (after the checkpoint hook), as if the
   * step count had been reached. Absent: no budget.
   */
  maxSeconds?: number;
}>;

export type FitResult = Readonly<{
  state: RunState;
  /** The absolute step reached (completed iterations). */
  step: number;
  stopped: StopReason;
  /** For a non-finite stop: the step and the metric that was not finite. */
  message?: string;
  /** The metrics of the last iteration run, if any. */
  metrics?: Readonly<Record<string, number>>;
}>;

/**
 * A fresh RunState: `key` split into the init key (the train state), the data key (the epoch
 * order) and the step key (each iteration's latents and α, `foldIn(stepKey, t)`).
 */
export function initRunState(opts: Readonly<{ config: TrainConfig | ValidTrainConfig; key: Key; size: number; batchSize: number }>): RunState {
  const [kInit, kData, kStep] = split(opts.key, 3) as [Key, Key, Key];
  return {
    train: initTrainState(opts.config, kInit),
    key: kStep,
    data: epochIterator({ key: kData, size: opts.size, batchSize: opts.batchSize }),
  };
}

/** The completed-iteration count of a run state (its `train.step`, a 0-d tensor). */
export const runStep = (run: RunState): number => item(concrete(run.train.step));

const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

const due = (interval: number | undefined, step: number): boolean => interval !== undefined && interval > 0 && step % interval === 0;

function checkOptions(o: FitOptions): void {
  const problems: string[] = [];
  if (!Number.isSafeInteger(o.steps) || o.steps < 0) problems.push(`steps must be an integer >= 0, got ${o.steps}`);
  if (o.maxSeconds !== undefined && !(o.maxSeconds > 0)) problems.push(`maxSeconds must be a number > 0, got ${o.maxSeconds}`);
  if (!Number.isSafeInteger(o.batchSize) || o.batchSize < 1) problems.push(`batchSize must be an integer >= 1, got ${o.batchSize}`);
  for (const [k, v] of Object.entries(o.every ?? {})) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) problems.push(`every.${k} must be an integer >= 0, got ${v}`);
  }
  const n = o.data.x.shape[0] ?? 0;
  if (o.state === undefined && o.key === undefined) problems.push('a key is needed to start a run (or a state to continue one)');
  if (n < o.batchSize) problems.push(`the data has ${n} examples, fewer than one batch of ${o.batchSize}`);
  if (o.data.labels !== undefined && (o.data.labels.shape.length !== 1 || o.data.labels.shape[0] !== n)) {
    problems.push(`data.labels must be [${n}] (one class id per example), got [${o.data.labels.shape.join(', ')}]`);
  }
  if (problems.length > 0) throw new ValueError(`fit: ${problems.join('; ')}`);
  if (o.state !== undefined && (o.state.data.size !== n || o.state.data.batchSize !== o.batchSize)) {
    throw new ShapeError(
      `fit: the run state iterates ${o.state.data.size} examples in batches of ${o.state.data.batchSize}, but the data has ${n} and batchSize is ${o.batchSize}`,
    );
  }
}

/** The first metric that is not finite, as `name = value`, for the stop message. */
function nonFiniteMetric(metrics: Readonly<Record<string, number>>): string {
  const bad = Object.entries(metrics).find(([k, v]) => k !== 'finite' && !Number.isFinite(v));
  return bad ? `${bad[0]} is ${bad[1]}` : 'a gradient was not finite (every logged metric was finite)';
}

/**
 * Runs the training loop (see the module comment). Each iteration: nDis batches from the epoch
 * iterator, `step(state, batch, foldIn(key, t))`, then the hooks that are due at t + 1. Before
 * each iteration the event loop gets a turn, so an abort (SIGINT) is seen between iterations,
 * never inside one. A non-finite iteration leaves the state as it was (the step is atomic) and
 * stops the run with a message naming the step and the metric; no checkpoint is written then,
 * so the last good one stays.
 */
export async function fit(o: FitOptions): Promise<FitResult> {
  const config = resolveTrainConfig(o.config);
  checkOptions(o);
  const step = makeTrainStep(config, { jit: o.jit !== false });
  const deadline = o.maxSeconds === undefined ? Infinity : performance.now() + 1000 * o.maxSeconds;
  const every: FitEvery = { log: 1, ...o.every };
  const hooks = o.hooks ?? {};
  let run = o.state ?? initRunState({ config, key: o.key!, size: o.data.x.shape[0]!, batchSize: o.batchSize });
  let t = runStep(run);
  let metrics: Record<string, number> | undefined;
  const finish = async (stopped: StopReason): Promise<FitResult> => {
    await hooks.onCheckpoint?.(run, t);
    return { state: run, step: t, stopped, ...(metrics ? { metrics } : {}) };
  };
  while (t < o.steps) {
    await yieldToEventLoop();
    if (o.signal?.aborted) return finish('aborted');
    if (performance.now() >= deadline) return finish('time');
    let data = run.data;
    const real: Tensor[] = [];
    const labels: Tensor[] = [];
    for (let k = 0; k < config.nDis; k++) {
      const [indices, next] = nextBatch(data);
      real.push(takeRows(o.data.x, indices));
      if (o.data.labels !== undefined) labels.push(takeRows(o.data.labels, indices));
      data = next;
    }
    const [train, m] = step(run.train, { real, ...(o.data.labels !== undefined ? { labels } : {}) }, foldIn(run.key, t));
    metrics = readMetrics(m);
    if (metrics.finite !== 1) {
      const message = `step ${t + 1} was not finite: ${nonFiniteMetric(metrics)}; training stopped at step ${t}, the last good checkpoint is kept`;
      await hooks.onLog?.({ step: t + 1, metrics });
      return { state: run, step: t, stopped: 'non-finite', message, metrics };
    }
    run = { train, key: run.key, data };
    t += 1;
    if (due(every.log, t) || t === o.steps) await hooks.onLog?.({ step: t, metrics });
    if (due(every.eval, t)) await hooks.onEval?.(run, t);
    if (due(every.sample, t)) await hooks.onSample?.(run, t);
    if (due(every.checkpoint, t) && t < o.steps) await hooks.onCheckpoint?.(run, t);
  }
  return finish('steps');
}
