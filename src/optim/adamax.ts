import type { Tensor } from '../core/tensor.js';
import { abs, add, div, maximum, mul } from '../ops/elementwise.js';
import { checkBetas, updateMoment, type AdamOptions } from './adam.js';
import { biasCorrection, withFusedStep } from './fused_step.js';
import { chain, leafwise, scaleByLearningRate, zeroCount, zerosLike, type GradientTransformation, type LearningRate } from './transform.js';

/** Adamax's state: the step count (0-d), the first moment m and the infinity norm u∞ (shaped like the params). */
export type AdamaxState<P = unknown> = Readonly<{ count: Tensor; mu: P; inf: P }>;

/**
 * Adamax's scaling (Kingma & Ba 2015, §7.1), PyTorch's form:
 *
 *   t ← t + 1,  m ← β₁m + (1 − β₁)g,  u∞ ← max(β₂u∞, |g| + eps),  u = m / ((1 − β₁ᵗ)·u∞)
 *
 * (`epsRoot` does not apply.)
 */
export function scaleByAdamax<P = unknown>(opts: Omit<AdamOptions, 'epsRoot'> = {}): GradientTransformation<AdamaxState<P>, P> {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  checkBetas(b1, b2);
  return {
    init: (params) => ({ count: zeroCount(), mu: zerosLike(params), inf: zerosLike(params) }),
    update(grads, state) {
      const count = add(state.count, 1);
      const mu = updateMoment(grads, state.mu, b1);
      const inf = leafwise((g, u) => maximum(mul(u, b2), add(abs(g), eps)), grads, state.inf);
      const c1 = biasCorrection(b1, count);
      return [leafwise((m, u) => div(m, mul(u, c1)), mu, inf), { count, mu, inf }];
    },
  };
}

/**
 * Adamax: `chain(scaleByAdamax(opts), scaleByLearningRate(lr))` (PyTorch's default lr is 2e-3).
 * Fused like `adam` (one `adamUpdate` kernel call per step, its Adamax rule; see `fused`).
 */
export function adamax<P = unknown>(lr: LearningRate, opts: Omit<AdamOptions, 'epsRoot'> = {}) {
  const tx = chain(scaleByAdamax<P>(opts), scaleByLearningRate<P>(lr));
  return withFusedStep(tx, { lr, opts, rule: 'adamax', decay: 'none', weightDecay: 0, layout: { state: 0, second: 'inf', lrCount: 1 } });
}
