import { ValueError } from '../core/errors.js';
import { add, div, mul, sqrt, square } from '../ops/elementwise.js';
import { chain, leafwise, scaleByLearningRate, zerosLike, type GradientTransformation, type LearningRate } from './transform.js';

/** RMSProp's state: the moving average of g², shaped like the params. */
export type ScaleByRmsState<P = unknown> = Readonly<{ nu: P }>;

export type RmsOptions = Readonly<{
  /** The decay α of the average of g² (default 0.99, PyTorch's). */
  decay?: number;
  /** Added to √v, outside the root (default 1e-8). */
  eps?: number;
}>;

/**
 * RMSProp scaling, PyTorch's form (v₀ = 0, eps outside the root):
 *
 *   v ← αv + (1 − α)g²,  u = g / (√v + eps)
 */
export function scaleByRms<P = unknown>(opts: RmsOptions = {}): GradientTransformation<ScaleByRmsState<P>, P> {
  const a = opts.decay ?? 0.99;
  const eps = opts.eps ?? 1e-8;
  if (!(a >= 0 && a < 1)) throw new ValueError(`RMSProp decay must be in [0, 1), got ${a}`);
  if (!(eps >= 0)) throw new ValueError(`RMSProp eps must be >= 0, got ${eps}`);
  return {
    init: (params) => ({ nu: zerosLike(params) }),
    update(grads, state) {
      const nu = leafwise((g, v) => add(mul(v, a), mul(square(g), 1 - a)), grads, state.nu);
      return [leafwise((g, v) => div(g, add(sqrt(v), eps)), grads, nu), { nu }];
    },
  };
}

/** RMSProp (WGAN with weight clipping uses lr 5e-5): `chain(scaleByRms(opts), scaleByLearningRate(lr))`. */
export function rmsprop<P = unknown>(lr: LearningRate, opts: RmsOptions = {}) {
  return chain(scaleByRms<P>(opts), scaleByLearningRate<P>(lr));
}
