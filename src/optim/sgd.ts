import { ValueError } from '../core/errors.js';
import { add, mul } from '../ops/elementwise.js';
import {
  chain,
  identity,
  leafwise,
  scaleByLearningRate,
  zerosLike,
  type EmptyState,
  type GradientTransformation,
  type LearningRate,
} from './transform.js';

/** The momentum buffer, shaped like the params. */
export type TraceState<P = unknown> = Readonly<{ trace: P }>;

export type TraceOptions = Readonly<{
  /** The momentum μ, in [0, 1). */
  decay: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}>;

/**
 * Momentum trace, PyTorch's SGD buffer without dampening:
 *
 *   t ← μ·t + g   (t₀ = 0, so t₁ = g as in PyTorch's first step)
 *   u = t,  or with Nesterov  u = g + μ·t
 */
export function trace<P = unknown>(opts: TraceOptions): GradientTransformation<TraceState<P>, P> {
  const mu = opts.decay;
  if (!(mu >= 0 && mu < 1)) throw new ValueError(`momentum must be in [0, 1), got ${mu}`);
  return {
    init: (params) => ({ trace: zerosLike(params) }),
    update(grads, state) {
      const next = leafwise((g, t) => add(g, mul(t, mu)), grads, state.trace);
      const updates = opts.nesterov === true ? leafwise((g, t) => add(g, mul(t, mu)), grads, next) : next;
      return [updates, { trace: next }];
    },
  };
}

export type SgdOptions = Readonly<{ momentum?: number; nesterov?: boolean }>;

/**
 * SGD with optional (Nesterov) momentum, PyTorch's rule: buf ← μ·buf + g, then
 * p ← p − lr·buf, or p ← p − lr·(g + μ·buf) with Nesterov. Without momentum p ← p − lr·g.
 */
export function sgd<P = unknown>(lr: LearningRate, opts: SgdOptions = {}) {
  if (opts.nesterov === true && !opts.momentum) throw new ValueError('Nesterov momentum needs a momentum > 0');
  const momentum: GradientTransformation<TraceState<P> | EmptyState, P> = opts.momentum
    ? trace<P>({ decay: opts.momentum, nesterov: opts.nesterov ?? false })
    : identity<P>();
  return chain(momentum, scaleByLearningRate<P>(lr));
}
