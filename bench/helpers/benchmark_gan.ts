/**
 * The performance issue's benchmark GAN as a `TrainConfig`, and the two ways the benches run
 * its iteration through `makeTrainStep` — eager (op by op) and jitted:
 *
 *   G: z[64] → Linear(64, 128·7·7) → ReLU → reshape (128, 7, 7) → ConvTranspose2d(128→64, k4 s2 p1)
 *      → ReLU → ConvTranspose2d(64→1, k4 s2 p1) → tanh → [64, 1, 28, 28]
 *   D: Conv2d(1→64, k4 s2 p1) → LeakyReLU(0.2) → Conv2d(64→128, k4 s2 p1) → LeakyReLU(0.2)
 *      → flatten → Linear(6272, 1)
 *
 * batch 64, hinge loss, Adam 2e-4 (β₁ 0, β₂ 0.9) for both players, one D step then one G step;
 * "+SN" wraps every layer of D in spectral norm.
 */
import type { Backend } from '../../src/backend/backend.js';
import { withBackend } from '../../src/backend/current.js';
import { key, normal, split, type Key } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { jit } from '../../src/jit/index.js';
import { Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, ReLU, Reshape, sequential, spectralNorm, Tanh, type AnyLayer } from '../../src/nn/index.js';
import { tanh } from '../../src/ops/elementwise.js';
import { drawRandomness, initTrainState, makeTrainStep, resolveTrainConfig, type StepRandomness, type TrainBatch, type TrainConfig, type TrainState, type ValidTrainConfig } from '../../src/train/index.js';
import type { Graph } from '../../src/backend/graph.js';

export const BATCH = 64;

const s2p1 = { kernel: 4, stride: 2, padding: 1 } as const;

export function benchmarkGanConfig(opts: Readonly<{ sn: boolean }>): TrainConfig {
  const d = (l: AnyLayer): AnyLayer => (opts.sn ? (spectralNorm(l as never) as AnyLayer) : l);
  const adam = { name: 'adam', lr: 2e-4, b1: 0, b2: 0.9 } as const;
  return {
    generator: sequential(
      Linear(128 * 7 * 7) as AnyLayer, ReLU(), Reshape([128, 7, 7]),
      ConvTranspose2d(64, s2p1) as AnyLayer, ReLU(),
      ConvTranspose2d(1, s2p1) as AnyLayer, Tanh(),
    ) as AnyLayer,
    discriminator: sequential(
      d(Conv2d(64, s2p1) as AnyLayer), LeakyReLU(0.2),
      d(Conv2d(128, s2p1) as AnyLayer), LeakyReLU(0.2),
      Flatten(), d(Linear(1) as AnyLayer),
    ) as AnyLayer,
    latent: { dim: 64, prior: 'normal' },
    dataShape: [1, 28, 28],
    loss: 'hinge',
    optimizers: { g: adam, d: adam },
  };
}

/**
 * The randomness of an iteration without the per-phase layer keys: no layer of these models
 * draws, and a key is a pair of numbers, which `jit` treats as static (a new key would retrace).
 */
export function tensorRandomness(config: ValidTrainConfig, k: Key, batch: number): StepRandomness {
  const { layerKeys: _unused, ...rest } = drawRandomness(config, k, batch);
  return rest;
}

/** One iteration of a config on one backend, eager and jitted, with its state and batch prepared. */
export type StepRunners = Readonly<{
  /** `makeTrainStep(config)(state, batch, key)`: draws the latents from a fresh key, runs op by op. */
  eager: () => TrainState;
  /** `jit(makeTrainStep(config))(state, batch, randomness)`, the randomness drawn from a fresh key outside. */
  jit: () => TrainState;
  /** The graph the jitted iteration runs (for counting its kernels and flops). */
  lower: () => Graph;
}>;

/**
 * Both ways of running an iteration of `config` on `backend` with a fixed real batch
 * (`makeReal`, default tanh of N(0, 1) draws shaped `[64, 1, 28, 28]`). The state is not
 * advanced between calls (each call is one iteration from the same state).
 */
export function stepRunners(config: TrainConfig, backend: Backend, opts: Readonly<{ makeReal?: (k: Key) => Tensor; seed?: number }> = {}): StepRunners {
  // Resolving a config initialises the networks once (shapes; spectral norm's power iterations).
  const c = withBackend(backend, () => resolveTrainConfig(config));
  const step = makeTrainStep(c);
  const jitted = jit(step, { name: 'makeTrainStep' });
  const [kInit, kReal] = split(key(opts.seed ?? 0), 2) as [Key, Key];
  const state = withBackend(backend, () => initTrainState(c, kInit));
  const makeReal = opts.makeReal ?? ((k: Key) => tanh(normal(k, [BATCH, 1, 28, 28])));
  const batch: TrainBatch = { real: [withBackend(backend, () => makeReal(kReal))] };
  const n = batch.real[0]!.shape[0]!;
  let calls = 0;
  const nextKey = (): Key => key(1000 + calls++);
  return {
    eager: () => withBackend(backend, () => step(state, batch, nextKey())[0]),
    jit: () => withBackend(backend, () => jitted(state, batch, tensorRandomness(c, nextKey(), n))[0]),
    lower: () => withBackend(backend, () => jitted.lower(state, batch, tensorRandomness(c, key(1), n))),
  };
}
