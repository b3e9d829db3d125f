import * as E from 'fp-ts/lib/Either.js';
import { ConfigError, ShapeError, ValueError } from '../core/errors.js';
import { foldIn, normal, randint, split, uniform, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';
import { concat } from '../ops/shape.js';
import { drawCodes } from './latent_codes.js';
import { replayCount } from './replay.js';
import { drawTargets, type Targets } from './targets.js';
import { add, mul } from '../ops/elementwise.js';
import { resolveTrainConfig, type TrainConfig, type ValidTrainConfig } from './config.js';
import type { Metrics } from './metrics.js';
import type { TrainState } from './state.js';
import { dStep, gStep } from './step.js';
import { selectTree } from './tree_select.js';
import { jit } from '../jit/index.js';
import { anyDraws } from '../nn/layer.js';

/**
 * One real batch `[N, ...dataShape]` per D step of the iteration (`nDis` of them), and for a
 * class-conditional config their class ids `labels` (one `[N]` tensor per real batch).
 */
export type TrainBatch = Readonly<{ real: readonly Tensor[]; labels?: readonly Tensor[] }>;

/**
 * All the randomness of one iteration, for replaying it exactly: latents `[N, latent.dim]` for
 * each D step (`zD`, nDis of them) and for the G step (`zG`) — with InfoGAN, `[N, latent.dim +
 * codes]`, the codes appended —, and with a gradient penalty one α `[N]` or `[N, 1, ...]` per
 * D step. The techniques add, where configured: fake class ids (`yD` per D step, `yG`),
 * per-sample BCE targets (`targets` per D step), instance-noise draws (`noiseD` per D step,
 * `noiseG`), replay picks (`replayPick` per D step) and a key per phase for layers that draw
 * (`layerKeys`, nDis + 1 of them, the G step's last).
 */
export type StepRandomness = Readonly<{
  zD: readonly Tensor[];
  zG: Tensor;
  alpha?: readonly Tensor[];
  yD?: readonly Tensor[];
  yG?: Tensor;
  targets?: readonly Targets[];
  noiseD?: ReadonlyArray<Readonly<{ real: Tensor; fake: Tensor }>>;
  noiseG?: Tensor;
  replayPick?: readonly Tensor[];
  layerKeys?: readonly Key[];
}>;

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
 * prior is N(0, 1) or U(−1, 1); α ~ U(0, 1), one per sample. The techniques draw from keys split
 * off foldIn(key, 10), so a config without them draws what it drew before they existed: InfoGAN
 * codes, fake class ids (uniform), per-sample targets, instance noise N(0, 1), replay picks
 * U(0, 1), and one key per phase for layers that draw.
 */
export function drawRandomness(config: ValidTrainConfig, key: Key, batchSize: number): StepRandomness {
  const keys = split(key, 2 * config.nDis + 1);
  const shape = [batchSize, config.latent.dim];
  const t = config.techniques;
  const [kCodes, kLabels, kTargets, kNoise, kReplay, kLayers] = split(foldIn(key, 10), 6) as Key[];
  const codeKeys = split(kCodes!, config.nDis + 1);
  const latent = (k: Key, i: number): Tensor => {
    const z = config.latent.prior === 'normal' ? normal(k, shape) : uniform(k, shape, -1, 1);
    return t.infogan ? concat([z, drawCodes(codeKeys[i]!, batchSize, t.infogan)], 1) : z;
  };
  const zD = keys.slice(0, config.nDis).map(latent);
  const zG = latent(keys[2 * config.nDis]!, config.nDis);
  const perD = <T>(k: Key, f: (k: Key) => T): T[] => split(k, config.nDis).map(f);
  const classes = t.classes;
  const ids = (k: Key): Tensor => tensor([batchSize], Float32Array.from(randint(k, [batchSize], 0, classes!)));
  const rows = batchSize / t.pack;
  const sampleShape = [batchSize, ...config.dataShape];
  return {
    zD,
    zG,
    ...(config.gradientPenalty ? { alpha: keys.slice(config.nDis, 2 * config.nDis).map((k) => uniform(k, [batchSize])) } : {}),
    ...(classes !== undefined ? { yD: perD(kLabels!, ids), yG: ids(foldIn(kLabels!, 1)) } : {}),
    ...(t.noisyLabels || t.flipProbability !== undefined
      ? { targets: perD(kTargets!, (k) => drawTargets(k, rows, { ...(t.noisyLabels ?? {}), flip: t.flipProbability ?? 0 })) }
      : {}),
    ...(t.instanceNoise
      ? {
          noiseD: perD(kNoise!, (k) => {
            const [a, b] = split(k);
            return { real: normal(a!, sampleShape), fake: normal(b!, sampleShape) };
          }),
          noiseG: normal(foldIn(kNoise!, 1), sampleShape),
        }
      : {}),
    ...(t.replay ? { replayPick: perD(kReplay!, (k) => uniform(k, [replayCount(t.replay!.fraction, batchSize)])) } : {}),
    layerKeys: split(kLayers!, config.nDis + 1),
  };
}

/**
 * Checks a batch against the config on the host, before any step: the number of real batches,
 * labels present (and only) for a conditional config, one label per sample and every label an
 * integer in [0, classes), and the batch size a multiple of the pack size. Lists every problem.
 */
export function validateBatch(config: ValidTrainConfig, batch: TrainBatch): E.Either<ConfigError, TrainBatch> {
  const problems: string[] = [];
  const classes = config.techniques.classes;
  if (batch.real.length !== config.nDis) problems.push(`batch.real: must hold nDis = ${config.nDis} real batches, got ${batch.real.length}`);
  batch.real.forEach((r, i) => {
    const n = r.shape[0] ?? 0;
    if (n % config.techniques.pack !== 0) problems.push(`batch.real[${i}]: the batch size ${n} must divide by the pack size ${config.techniques.pack}`);
  });
  if (classes === undefined) {
    if (batch.labels !== undefined) problems.push('batch.labels: given, but the config is not class-conditional (set conditioning: { classes })');
  } else if (batch.labels === undefined) {
    problems.push(`batch.labels: the config is class-conditional (${classes} classes): pass one [N] tensor of class ids per real batch`);
  } else {
    if (batch.labels.length !== batch.real.length) problems.push(`batch.labels: expected ${batch.real.length} label vectors (one per real batch), got ${batch.labels.length}`);
    batch.labels.forEach((l, i) => {
      const n = batch.real[i]?.shape[0];
      if (l.shape.length !== 1 || l.shape[0] !== n) problems.push(`batch.labels[${i}]: must be [${n ?? 'N'}], got [${l.shape.join(', ')}]`);
      const data = concrete(l).data;
      const bad = data.findIndex((v) => !Number.isInteger(v) || v < 0 || v >= classes);
      if (bad >= 0) problems.push(`batch.labels[${i}][${bad}] = ${data[bad]}: class ids must be integers in [0, ${classes})`);
    });
  }
  return problems.length > 0 ? E.left(new ConfigError(problems)) : E.right(batch);
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
        const at = c.order === 'g-first' ? 0 : c.nDis - 1;
        const real = batch.real[at];
        const realLabels = batch.labels?.[at];
        const key = rnd.layerKeys?.[c.nDis];
        [s, m] = gStep(c, s, {
          z: rnd.zG,
          ...(c.gUsesReal ? { real: real! } : {}),
          ...(realLabels && c.gUsesReal ? { realLabels } : {}),
          ...(rnd.yG ? { labels: rnd.yG } : {}),
          ...(rnd.noiseG ? { noise: rnd.noiseG } : {}),
          ...(key ? { key } : {}),
        });
        gMetrics = m;
      } else {
        const alpha = rnd.alpha?.[phase];
        const labels = batch.labels?.[phase];
        const fakeLabels = rnd.yD?.[phase];
        const targets = rnd.targets?.[phase];
        const noise = rnd.noiseD?.[phase];
        const replayPick = rnd.replayPick?.[phase];
        const key = rnd.layerKeys?.[phase];
        [s, m] = dStep(c, s, {
          real: batch.real[phase]!,
          z: rnd.zD[phase]!,
          ...(alpha ? { alpha } : {}),
          ...(labels ? { labels } : {}),
          ...(fakeLabels ? { fakeLabels } : {}),
          ...(targets ? { targets } : {}),
          ...(noise ? { noise } : {}),
          ...(replayPick ? { replayPick } : {}),
          ...(key ? { key } : {}),
        });
        dMetrics = m;
      }
      finite = finite === undefined ? m.finite! : mul(finite, m.finite!);
    }
    const ok = finite!;
    const next = selectTree(ok, { ...s, step: add(state.step, 1) }, state);
    return [next, { ...dMetrics, ...gMetrics, finite: ok }];
  };
}

export type TrainStepOptions = Readonly<{
  /**
   * Run the iteration's pure core under `jit` (default false: op by op): traced once, then
   * compiled by the backend. The batch is still checked and the randomness drawn on the host,
   * without the per-phase layer keys, which only layers that draw read (a key is host data,
   * which `jit` would bake into the trace). A config with such a layer (dropout, DiffAugment:
   * `Layer.draws`) runs op by op whatever this says.
   */
  jit?: boolean;
}>;

/**
 * `makeTrainStep(config, { jit })` → a pure `(state, batch, randomness) → [state', metrics]`:
 * one iteration (nDis D updates and one G update, in the configured order). `randomness` is a
 * key, from which `drawRandomness` draws the latents and α on the host, or the `StepRandomness`
 * itself, to replay an iteration exactly. Throws the config's ConfigError if it is invalid, and
 * `validateBatch`'s (every problem listed) before running on a batch that does not fit it.
 */
export function makeTrainStep(config: TrainConfig | ValidTrainConfig, opts: TrainStepOptions = {}): TrainStep {
  const c = resolveTrainConfig(config);
  const traced = opts.jit === true && !anyDraws([c.generator, c.discriminator]);
  const core = traced ? jit(makeTrainCore(c), { name: 'trainIteration' }) : makeTrainCore(c);
  return (state, batch, randomness) => {
    const n = batch.real[0]?.shape[0];
    if (n === undefined) throw new ShapeError('batch.real must hold at least one batch [N, ...dataShape]');
    const checked = validateBatch(c, batch);
    if (E.isLeft(checked)) throw checked.left;
    const rnd = Array.isArray(randomness) ? drawRandomness(c, randomness as Key, n) : (randomness as StepRandomness);
    if (!traced) return core(state, batch, rnd);
    const { layerKeys: _unused, ...keyless } = rnd;
    return core(state, batch, keyless);
  };
}
