import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { add, div, mul, sqrt, square } from '../ops/elementwise.js';
import { biasCorrection, withFusedStep } from './fused_step.js';
import {
  addDecayedWeights,
  chain,
  leafwise,
  scaleByLearningRate,
  zeroCount,
  zerosLike,
  type GradientTransformation,
  type LearningRate,
} from './transform.js';

/** Adam's state: the step count t (0-d), the first moment m and the second moment v (shaped like the params). */
export type AdamState<P = unknown> = Readonly<{ count: Tensor; mu: P; nu: P }>;

export type AdamOptions = Readonly<{
  /** Decay of the first moment β₁ (default 0.9). */
  b1?: number;
  /** Decay of the second moment β₂ (default 0.999). */
  b2?: number;
  /** Added to √v̂, outside the root (default 1e-8). */
  eps?: number;
  /** Added to v̂ inside the root (default 0). */
  epsRoot?: number;
  /**
   * Run each step as one fused kernel (the `adamUpdate` primitive) when the current backend
   * has it (default true; `adam`, `adamw`, `adamL2`, `adamax`). The kernel is not differentiable: pass false to differentiate
   * through an optimiser step (an unrolled GAN), which uses the op-composed path.
   */
  fused?: boolean;
}>;

/** Throws a ValueError unless both decays are in [0, 1). */
export function checkBetas(b1: number, b2: number): void {
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new ValueError(`Adam betas must be in [0, 1), got (${b1}, ${b2})`);
}

/** An exponential moving average of `xs`, leafwise: m ← β·m + (1 − β)·x. */
export const updateMoment = <T>(xs: T, moment: unknown, decay: number): T => leafwise((x, m) => add(mul(m, decay), mul(x, 1 - decay)), xs, moment);

export { biasCorrection } from './fused_step.js';

/**
 * Adam's scaling (Kingma & Ba 2015), with PyTorch's eps placement:
 *
 *   t ← t + 1,  m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)
 *   u = m̂ / (√(v̂ + eps_root) + eps)
 *
 * The eps pitfall: eps sits *outside* the square root (PyTorch, Optax), so it bounds the step
 * only when √v̂ ≲ eps. GAN gradients can be tiny: with eps = 1e-8 a coordinate whose gradient is
 * ~1e-8 still takes a step of lr/2, which is why some GAN code uses eps = 1e-4 or larger.
 * `epsRoot` (inside the root, Optax's eps_root) is 0 by default.
 */
export function scaleByAdam<P = unknown>(opts: AdamOptions = {}): GradientTransformation<AdamState<P>, P> {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const epsRoot = opts.epsRoot ?? 0;
  checkBetas(b1, b2);
  if (!(eps >= 0) || !(epsRoot >= 0)) throw new ValueError(`Adam eps and epsRoot must be >= 0, got (${eps}, ${epsRoot})`);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLike(params), nu: zerosLike(params) }),
    update(grads, state) {
      const count = add(state.count, 1);
      const mu = updateMoment(grads, state.mu, b1);
      const nu = leafwise((g, v) => add(mul(v, b2), mul(square(g), 1 - b2)), grads, state.nu);
      const c1 = biasCorrection(b1, count);
      const c2 = biasCorrection(b2, count);
      const updates = leafwise((m, v) => {
        const vHat = div(v, c2);
        return div(div(m, c1), add(sqrt(epsRoot === 0 ? vHat : add(vHat, epsRoot)), eps));
      }, mu, nu);
      return [updates, { count, mu, nu }];
    },
  };
}

/** Where `adam`'s chain keeps Adam's state (and its second moment) and the learning rate's count. */
const ADAM_LAYOUT = { state: 0, second: 'nu', lrCount: 1 } as const;

/**
 * Adam: `chain(scaleByAdam(opts), scaleByLearningRate(lr))`, so p ← p − lr·m̂/(√v̂ + eps). For GANs
 * the common settings are lr 2e-4 with β = (0.5, 0.999) (DCGAN) or β = (0, 0.9) (WGAN-GP, SN-GAN).
 *
 * Its `step` (used by `optimizerStep`) runs the whole update as one fused kernel, bit-identical
 * to `update` + `applyUpdates`; see `fused`.
 */
export function adam<P = unknown>(lr: LearningRate, opts: AdamOptions = {}) {
  return withFusedStep(chain(scaleByAdam<P>(opts), scaleByLearningRate<P>(lr)), { lr, opts, decay: 'none', weightDecay: 0, layout: ADAM_LAYOUT });
}

/**
 * PyTorch's Adam with `weight_decay` λ (L2 decay, coupled): g ← g + λp before the moments,
 * `chain(addDecayedWeights(λ), scaleByAdam(opts), scaleByLearningRate(lr))`. Fused like `adam`.
 * For decoupled decay use `adamw`.
 */
export function adamL2<P = unknown>(lr: LearningRate, opts: AdamOptions & Readonly<{ weightDecay: number }>) {
  const wd = opts.weightDecay;
  if (!(wd >= 0)) throw new ValueError(`Adam weightDecay must be >= 0, got ${wd}`);
  const tx = chain(addDecayedWeights<P>(wd), scaleByAdam<P>(opts), scaleByLearningRate<P>(lr));
  return withFusedStep(tx, { lr, opts, decay: 'l2', weightDecay: wd, layout: { ...ADAM_LAYOUT, state: 1, lrCount: 2 } });
}

/**
 * AdamW (Loshchilov & Hutter): decoupled weight decay, p ← p − lr·(û + λp), as PyTorch's AdamW
 * (whose default λ is 0.01). Fused like `adam`.
 */
export function adamw<P = unknown>(lr: LearningRate, opts: AdamOptions & Readonly<{ weightDecay?: number }> = {}) {
  const wd = opts.weightDecay ?? 0.01;
  const tx = chain(scaleByAdam<P>(opts), addDecayedWeights<P>(wd), scaleByLearningRate<P>(lr));
  return withFusedStep(tx, { lr, opts, decay: 'decoupled', weightDecay: wd, layout: { ...ADAM_LAYOUT, lrCount: 2 } });
}
