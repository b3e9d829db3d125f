import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import {
  addDecayedWeights,
  chain,
  mapTrees,
  scaleByLearningRate,
  zerosLike,
  zipData,
  type GradientTransformation,
  type LearningRate,
} from './transform.js';

export type AdamState = Readonly<{ count: number; mu: unknown; nu: unknown }>;

export type AdamOptions = Readonly<{ b1?: number; b2?: number; eps?: number; epsRoot?: number }>;

function checkBetas(b1: number, b2: number): void {
  if (!(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) throw new ValueError(`Adam betas must be in [0, 1), got (${b1}, ${b2})`);
}

/**
 * Adam's scaling (Kingma & Ba 2015), with PyTorch's eps placement:
 *
 *   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  m̂ = m/(1 − β₁ᵗ),  v̂ = v/(1 − β₂ᵗ)
 *   u = m̂ / (√(v̂ + eps_root) + eps)
 *
 * The eps pitfall: eps sits *outside* the square root (PyTorch, Optax), so it bounds the step
 * only when √v̂ ≲ eps. GAN gradients can be tiny: with eps = 1e-8 a coordinate whose gradient is
 * ~1e-8 still takes full lr-sized steps, which is why some GAN code uses eps = 1e-4 or larger.
 * `epsRoot` (inside the root, Optax's eps_root) is 0 by default.
 */
export function scaleByAdam(opts: AdamOptions = {}): GradientTransformation<AdamState> {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const epsRoot = opts.epsRoot ?? 0;
  checkBetas(b1, b2);
  return {
    init: (params) => ({ count: 0, mu: zerosLike(params), nu: zerosLike(params) }),
    update(grads, state) {
      const t = state.count + 1;
      const mu = mapTrees(grads, [state.mu], ([g, m]) => zipData(m!, [g!], (mv, [gv]) => b1 * mv + (1 - b1) * gv!));
      const nu = mapTrees(grads, [state.nu], ([g, v]) => zipData(v!, [g!], (vv, [gv]) => b2 * vv + (1 - b2) * gv! * gv!));
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      const updates = mapTrees(grads, [mu, nu], ([, m, v]) =>
        zipData(m as Tensor, [v as Tensor], (mv, [vv]) => mv / c1 / (Math.sqrt(vv! / c2 + epsRoot) + eps)),
      );
      return [updates, { count: t, mu, nu }];
    },
  };
}

/**
 * Adam: `chain(scaleByAdam(opts), scaleByLearningRate(lr))`. For GANs the common settings are
 * lr 2e-4 with β = (0.5, 0.999) (DCGAN) or β = (0, 0.9) (WGAN-GP, SN-GAN).
 */
export function adam(lr: LearningRate, opts: AdamOptions = {}) {
  return chain(scaleByAdam(opts), scaleByLearningRate(lr));
}

/**
 * AdamW (Loshchilov & Hutter): decoupled weight decay, p ← p − lr·(û + λp), as PyTorch's AdamW
 * (whose default λ is 0.01).
 */
export function adamw(lr: LearningRate, opts: AdamOptions & Readonly<{ weightDecay?: number }> = {}) {
  return chain(scaleByAdam(opts), addDecayedWeights(opts.weightDecay ?? 0.01), scaleByLearningRate(lr));
}

export type AdamaxState = Readonly<{ count: number; mu: unknown; inf: unknown }>;

/**
 * Adamax (Kingma & Ba 2015, §7.1), PyTorch's form:
 *   m ← β₁m + (1 − β₁)g,  u∞ ← max(β₂u∞, |g| + eps),  update = m / ((1 − β₁ᵗ)·u∞)
 */
export function scaleByAdamax(opts: AdamOptions = {}): GradientTransformation<AdamaxState> {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  checkBetas(b1, b2);
  return {
    init: (params) => ({ count: 0, mu: zerosLike(params), inf: zerosLike(params) }),
    update(grads, state) {
      const t = state.count + 1;
      const mu = mapTrees(grads, [state.mu], ([g, m]) => zipData(m!, [g!], (mv, [gv]) => b1 * mv + (1 - b1) * gv!));
      const inf = mapTrees(grads, [state.inf], ([g, u]) => zipData(u!, [g!], (uv, [gv]) => Math.max(b2 * uv, Math.abs(gv!) + eps)));
      const c1 = 1 - b1 ** t;
      const updates = mapTrees(grads, [mu, inf], ([, m, u]) => zipData(m as Tensor, [u as Tensor], (mv, [uv]) => mv / (c1 * uv!)));
      return [updates, { count: t, mu, inf }];
    },
  };
}

/** Adamax: `chain(scaleByAdamax(opts), scaleByLearningRate(lr))` (PyTorch's default lr is 2e-3). */
export function adamax(lr: LearningRate, opts: AdamOptions = {}) {
  return chain(scaleByAdamax(opts), scaleByLearningRate(lr));
}
