import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { chain, mapTrees, scaleByLearningRate, zerosLike, zipData, type GradientTransformation, type LearningRate } from './transform.js';

/**
 * Momentum trace: t ← μ·t + g (with t₀ = 0, so t₁ = g as PyTorch's first step); the update is t,
 * or g + μ·t with Nesterov.
 */
export function trace(opts: Readonly<{ decay: number; nesterov?: boolean }>): GradientTransformation<unknown> {
  const mu = opts.decay;
  if (!(mu >= 0 && mu < 1)) throw new ValueError(`momentum must be in [0, 1), got ${mu}`);
  return {
    init: (params) => zerosLike(params),
    update(grads, state) {
      const next = mapTrees(grads, [state], ([g, t]) => zipData(t!, [g!], (tv, [gv]) => mu * tv + gv!));
      const updates = opts.nesterov ? mapTrees(grads, [next], ([g, t]) => zipData(g!, [t as Tensor], (gv, [tv]) => gv + mu * tv!)) : next;
      return [updates, next];
    },
  };
}

/** SGD with optional (Nesterov) momentum, PyTorch's update: p ← p − lr·(μ·buf + g). */
export function sgd(lr: LearningRate, opts: Readonly<{ momentum?: number; nesterov?: boolean }> = {}) {
  return opts.momentum ? chain(trace({ decay: opts.momentum, nesterov: opts.nesterov ?? false }), scaleByLearningRate(lr)) : scaleByLearningRate(lr);
}

/**
 * RMSProp scaling, PyTorch's form (eps outside the root): v ← αv + (1 − α)g², u = g/(√v + eps).
 */
export function scaleByRms(opts: Readonly<{ decay?: number; eps?: number }> = {}): GradientTransformation<unknown> {
  const a = opts.decay ?? 0.99;
  const eps = opts.eps ?? 1e-8;
  return {
    init: (params) => zerosLike(params),
    update(grads, state) {
      const nu = mapTrees(grads, [state], ([g, v]) => zipData(v!, [g!], (vv, [gv]) => a * vv + (1 - a) * gv! * gv!));
      const updates = mapTrees(grads, [nu], ([g, v]) => zipData(g!, [v as Tensor], (gv, [vv]) => gv / (Math.sqrt(vv!) + eps)));
      return [updates, nu];
    },
  };
}

/** RMSProp (WGAN with clipping uses lr 5e-5): `chain(scaleByRms(opts), scaleByLearningRate(lr))`. */
export function rmsprop(lr: LearningRate, opts: Readonly<{ decay?: number; eps?: number }> = {}) {
  return chain(scaleByRms(opts), scaleByLearningRate(lr));
}
