import { ShapeError, ValueError } from '../core/errors.js';
import { normal, split, uniform, type Key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul } from '../ops/elementwise.js';
import { resolveTrainConfig, type TrainConfig, type ValidTrainConfig } from './config.js';
import type { Metrics } from './metrics.js';
import type { TrainState } from './state.js';
import { dStep, gStep } from './step.js';
import { selectTree } from './tree_select.js';

/** One real batch `[N, ...dataShape]` per D step of the iteration (`nDis` of them). */
export type TrainBatch = Readonly<{ real: readonly Tensor[] }>;

/**
 * All the randomness of one iteration, for replaying it exactly: latents `[N, latent.dim]` for
 * each D step (`zD`, nDis of them) and for the G step (`zG`), and with a gradient penalty one
 * α `[N]` or `[N, 1, ...]` per D step.
 */
export type StepRandomness = Readonly<{ zD: readonly Tensor[]; zG: Tensor; alpha?: readonly Tensor[] }>;

export type TrainStep = (state: TrainState, batch: TrainBatch, randomness: Key | StepRandomness) => [TrainState, Metrics];
export type TrainCore = (state: TrainState, batch: TrainBatch, randomness: StepRandomness) => [TrainState, Metrics];

/** The phases of one iteration: `nDis` D steps (numbered) and one G step, in the configured order. */
export function iterationPhases(config: Pick<ValidTrainConfig, 'nDis' | 'order'>): ReadonlyArray<'g' | number> {
  const ds = Array.from({ length: config.nDis }, (_, k) => k);
  return config.order === 'g-first' ? ['g', ...ds] : [...ds, 'g'];
}

/**
 * Draws an iteration's randomness from a key (host computations on keys): the key is split into
 * 2·nDis + 1 keys, for each D step's latents and α and for the G step's latents. The latent
 * prior is N(0, 1) or U(−1, 1); α ~ U(0, 1), one per sample.
 */
export function drawRandomness(config: ValidTrainConfig, key: Key, batchSize: number): StepRandomness {
  const keys = split(key, 2 * config.nDis + 1);
  const shape = [batchSize, config.latent.dim];
  const latent = (k: Key): Tensor => (config.latent.prior === 'normal' ? normal(k, shape) : uniform(k, shape, -1, 1));
  const zD = keys.slice(0, config.nDis).map(latent);
  const zG = latent(keys[2 * config.nDis]!);
  if (config.gradientPenalty === undefined) return { zD, zG };
  const alpha = keys.slice(config.nDis, 2 * config.nDis).map((k) => uniform(k, [batchSize]));
  return { zD, zG, alpha };
}

/**
 * The pure core of an iteration, `(state, batch, randomness) → [state', metrics]`, built from
 * tensor ops only: the phases of `iterationPhases` with `dStep` and `gStep`, then `step + 1`.
 * The iteration is atomic: unless every phase was finite, the state comes back as it was given
 * (bit for bit) and `finite` is 0. The G step of a loss that reads D(real) gets the real batch
 * of the D step next to it (the last for 'd-first', the first for 'g-first').
 */
export function makeTrainCore(config: TrainConfig | ValidTrainConfig): TrainCore {
  const c = resolveTrainConfig(config);
  const phases = iterationPhases(c);
  return (state, batch, rnd) => {
    if (batch.real.length !== c.nDis) throw new ShapeError(`batch.real must hold nDis = ${c.nDis} real batches, got ${batch.real.length}`);
    if (rnd.zD.length !== c.nDis) throw new ShapeError(`randomness.zD must hold nDis = ${c.nDis} latent batches, got ${rnd.zD.length}`);
    if (c.gradientPenalty !== undefined && rnd.alpha?.length !== c.nDis) {
      throw new ValueError(`the gradient penalty needs randomness.alpha with nDis = ${c.nDis} weight vectors`);
    }
    let s = state;
    let finite: Tensor | undefined;
    let dMetrics: Metrics = {};
    let gMetrics: Metrics = {};
    for (const phase of phases) {
      let m: Metrics;
      if (phase === 'g') {
        const real = c.order === 'g-first' ? batch.real[0] : batch.real[c.nDis - 1];
        [s, m] = gStep(c, s, { z: rnd.zG, ...(c.gUsesReal ? { real: real! } : {}) });
        gMetrics = m;
      } else {
        const alpha = rnd.alpha?.[phase];
        [s, m] = dStep(c, s, { real: batch.real[phase]!, z: rnd.zD[phase]!, ...(alpha ? { alpha } : {}) });
        dMetrics = m;
      }
      finite = finite === undefined ? m.finite! : mul(finite, m.finite!);
    }
    const ok = finite!;
    const next = selectTree(ok, { ...s, step: add(state.step, 1) }, state);
    return [next, { ...dMetrics, ...gMetrics, finite: ok }];
  };
}

/**
 * `makeTrainStep(config)` → a pure `(state, batch, randomness) → [state', metrics]`: one
 * iteration (nDis D updates and one G update, in the configured order). `randomness` is a key,
 * from which `drawRandomness` draws the latents and α on the host, or the `StepRandomness`
 * itself, to replay an iteration exactly. Throws the config's ConfigError if it is invalid.
 */
export function makeTrainStep(config: TrainConfig | ValidTrainConfig): TrainStep {
  const c = resolveTrainConfig(config);
  const core = makeTrainCore(c);
  return (state, batch, randomness) => {
    const n = batch.real[0]?.shape[0];
    if (n === undefined) throw new ShapeError('batch.real must hold at least one batch [N, ...dataShape]');
    return core(state, batch, Array.isArray(randomness) ? drawRandomness(c, randomness as Key, n) : (randomness as StepRandomness));
  };
}
