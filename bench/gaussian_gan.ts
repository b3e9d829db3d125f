/**
 * The 2-D mode-collapse benchmark GAN (VEEGAN / PacGAN setting): an MLP generator and
 * discriminator trained on a Gaussian mixture, evaluated with PacGAN's mode rule on 2,500
 * samples (`modeMetrics`). Shared by test/train/mode_collapse.test.ts and
 * scripts/gaussians_benchmark.ts.
 */
import { key as makeKey, split, type Key } from '../src/core/random.js';
import { jit } from '../src/jit/index.js';
import { modeMetrics, sampleMixture, MODE_METRIC_SAMPLES, type GaussianMixture, type ModeMetrics } from '../src/data/gaussians.js';
import { LeakyReLU, Linear, NO_STATE, ReLU, sequential, spectralNorm, type AnyLayer, type Layer, type NoState } from '../src/nn/index.js';
import { mul } from '../src/ops/elementwise.js';
import { concrete } from '../src/ops/dispatch.js';
import { makeTrainStep, resolveTrainConfig, sampleGenerator, initTrainState, type TrainBatch, type TrainConfig, type TrainState } from '../src/train/index.js';
import { tensorRandomness } from './helpers/benchmark_gan.js';
import { normal } from '../src/core/random.js';
import { adam, linearSchedule, type GradientTransformation, type Schedule } from '../src/optim/index.js';

export const VARIANTS = ['nonsaturating', 'hinge+sn', 'wgan-gp', 'nonsaturating+pac2'] as const;
export type Variant = (typeof VARIANTS)[number];

/**
 * One benchmark run: the mixture, the variant, the seed, the iterations, the batch (default 256),
 * and whether the iteration runs through `jit` (default false: op by op). The jitted iteration
 * draws the same randomness from the same keys (`drawRandomness`), so it trains the same run up
 * to float rounding.
 */
export type GaussianRun = Readonly<{ mixture: GaussianMixture; variant: Variant; seed: number; steps: number; batch?: number; jit?: boolean } & GaussianOptions>;

/**
 * Width of the MLPs (default 128), Adam's learning rate for both players (default 1e-3), decayed
 * linearly to 0 over `decaySteps` iterations when given, EMA decay of G (none by default), an R1
 * penalty weight γ on D (none by default).
 */
export type GaussianOptions = Readonly<{ hidden?: number; lr?: number; decaySteps?: number; emaDecay?: number; r1?: number }>;

/** A 2-layer MLP, `[N, in] → [N, out]`, ReLU (G) or LeakyReLU 0.2 (D), optionally spectrally normalised. */
function mlp(hidden: number, out: number, opts: Readonly<{ leaky?: boolean; sn?: boolean }> = {}): AnyLayer {
  const lin = (k: number): AnyLayer => (opts.sn ? (spectralNorm(Linear(k)) as AnyLayer) : (Linear(k) as AnyLayer));
  const act = (): AnyLayer => (opts.leaky ? LeakyReLU(0.2) : ReLU());
  return sequential(lin(hidden), act(), lin(hidden), act(), lin(out)) as AnyLayer;
}

/**
 * D's output gain in the hinge + SN variant: D(x) = c·SN-MLP(x), so D is at most c-Lipschitz.
 * Spectral norm bounds every layer by 1, so the SN-MLP alone is at most 1-Lipschitz in data
 * units (its measured ‖∇ₓD‖ on the ring is about 0.4), while the ring's modes are 1.5 apart
 * with std 0.02: such a D cannot reach the hinge margin (D ≥ 1 on real, ≤ −1 on fake) between
 * points closer than 2, stays in the hinge's linear part, and gives G a gradient too weak to
 * sharpen the modes; G, driven by Adam at full step size, then wanders round the ring. With
 * c = 20 the margin of 1 spans 0.05 in data units (2.5 std of a mode), the scale of the ring.
 * It is equivalent to measuring the data in units of 1/20 for D.
 */
export const SN_OUTPUT_GAIN = 20;

/** x ↦ c·x, `[N, ...] → [N, ...]`, no params. */
function gain(c: number): Layer<NoState, NoState> {
  return {
    name: `Gain(${c})`,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: [...inputShape] }),
    apply: (_params, state, x) => [mul(x, c), state],
  };
}

/**
 * The train config of a variant: non-saturating, hinge with SN in D (and D's output scaled by
 * `SN_OUTPUT_GAIN`), WGAN-GP (nDis 5, λ 0.1), non-saturating with PacGAN packing 2.
 */
export function gaussianConfig(variant: Variant, opts: GaussianOptions = {}): TrainConfig {
  const hidden = opts.hidden ?? 128;
  const peak = opts.lr ?? 1e-3;
  const lr = (nDis: number): number | Schedule =>
    opts.decaySteps === undefined ? peak : linearSchedule({ init: peak, end: 0, transitionSteps: opts.decaySteps * nDis });
  const adamOf = (nDis: number, b2: number) => adam(lr(nDis), { b1: 0.5, b2 }) as GradientTransformation<unknown>;
  const base = {
    ...(opts.emaDecay !== undefined ? { ema: { decay: opts.emaDecay } } : {}),
    ...(opts.r1 !== undefined ? { regularizers: { r1: { weight: opts.r1 } } } : {}),
    generator: mlp(hidden, 2),
    latent: { dim: 8, prior: 'normal' as const },
    dataShape: [2],
    optimizers: { g: adamOf(1, 0.999), d: adamOf(1, 0.999) },
  };
  switch (variant) {
    case 'nonsaturating':
      return { ...base, discriminator: mlp(hidden, 1, { leaky: true }), loss: 'nonsaturating' };
    case 'hinge+sn':
      return { ...base, discriminator: sequential(mlp(hidden, 1, { leaky: true, sn: true }), gain(SN_OUTPUT_GAIN)) as AnyLayer, loss: 'hinge' };
    case 'wgan-gp':
      return {
        ...base,
        discriminator: mlp(hidden, 1, { leaky: true }),
        loss: 'wasserstein',
        nDis: 5,
        regularizers: { gradientPenalty: { weight: 0.1 } },
        optimizers: { g: adamOf(1, 0.9), d: adamOf(5, 0.9) },
      };
    case 'nonsaturating+pac2':
      return { ...base, discriminator: mlp(hidden, 1, { leaky: true }), loss: 'nonsaturating', pack: 2 };
  }
}

export type GaussianResult = ModeMetrics & Readonly<{ msPerStep: number }>;

/** Trains one run (`steps` iterations on fresh batches from the mixture) and evaluates 2,500 samples of G. */
export function trainGaussianGan(run: GaussianRun): GaussianResult {
  const config = resolveTrainConfig(gaussianConfig(run.variant, { decaySteps: run.steps, ...run }));
  const batchSize = run.batch ?? 256;
  const [kInit, kData, kStep, kEval] = split(makeKey(run.seed), 4) as [readonly [number, number], readonly [number, number], readonly [number, number], readonly [number, number]];
  const eager = makeTrainStep(config);
  const jitted = run.jit === true ? jit(eager, { name: 'gaussianTrainStep' }) : undefined;
  const step = (s: TrainState, batch: TrainBatch, k: Key): TrainState =>
    jitted === undefined ? eager(s, batch, k)[0] : jitted(s, batch, tensorRandomness(config, k, batchSize))[0];
  let state = initTrainState(config, kInit);
  const dataKeys = split(kData, run.steps);
  const stepKeys = split(kStep, run.steps);
  const started = performance.now();
  for (let i = 0; i < run.steps; i++) {
    const real = split(dataKeys[i]!, config.nDis).map((k) => sampleMixture(run.mixture, k, batchSize));
    state = step(state, { real }, stepKeys[i]!);
  }
  const msPerStep = (performance.now() - started) / Math.max(run.steps, 1);
  const points = concrete(sampleGenerator(config, state, normal(kEval, [MODE_METRIC_SAMPLES, config.gInputDim])));
  return { ...modeMetrics(run.mixture, points), msPerStep };
}

/**
 * The run the ring test trains (seed aside): non-saturating, MLPs of width 64, 4,000 iterations
 * of batch 128, Adam 2e-3 decayed linearly to 0 — what reaches the 70% high-quality
 * samples within a minute of one core (README, "Mode collapse", for the measured alternatives).
 */
export const RING_TEST_RUN = { variant: 'nonsaturating', steps: 4000, batch: 128, lr: 2e-3, hidden: 64 } as const satisfies Omit<GaussianRun, 'mixture' | 'seed'>;
