import { ValueError } from '../core/errors.js';
import { bernoulli } from '../core/random.js';
import { div, mul } from '../ops/elementwise.js';
import { NO_STATE, type Layer, type NoState } from './layer.js';

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1 − p); the identity in evaluation. Needs `ctx.key` in training. `[N, ...] → [N, ...]`.
 */
export function Dropout(p: number): Layer<NoState, NoState> {
  if (!(p >= 0 && p < 1)) throw new ValueError(`dropout probability must be in [0, 1), got ${p}`);
  return {
    name: `Dropout(${p})`,
    draws: true,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: inputShape }),
    apply(_params, state, x, ctx) {
      if (!ctx.train || p === 0) return [x, state];
      if (ctx.key === undefined) throw new ValueError('Dropout in training mode needs ctx.key');
      return [mul(x, div(bernoulli(ctx.key, 1 - p, x.shape), 1 - p)), state];
    },
  };
}
