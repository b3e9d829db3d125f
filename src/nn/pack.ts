import { ShapeError, ValueError } from '../core/errors.js';
import { reshape } from '../ops/shape.js';
import { NO_STATE, type Layer, type NoState } from './layer.js';

/**
 * PacGAN packing (Lin et al. 2018): D judges m samples at once, concatenated along channels.
 * `[N, C, ...] → [N/m, m·C, ...]` (for vectors `[N, F] → [N/m, m·F]`); pack k holds samples
 * k·m … k·m + m − 1, in order. Put it first in D, which then returns N/m outputs; the batch
 * size must divide by m (a ShapeError otherwise). Real and fake batches are packed alike, so
 * every pack is all-real or all-fake, as the paper requires.
 */
export function Pack(m: number): Layer<NoState, NoState> {
  if (!Number.isInteger(m) || m < 1) throw new ValueError(`the pack size must be an integer >= 1, got ${m}`);
  const name = `Pack(${m})`;
  return {
    name,
    init(_key, inputShape) {
      const c = inputShape[0];
      if (c === undefined) throw new ShapeError(`${name} needs an input [C, ...] per sample`, { input: inputShape });
      return { params: NO_STATE, state: NO_STATE, outputShape: [m * c, ...inputShape.slice(1)] };
    },
    apply(_params, state, x) {
      const [n, c] = x.shape;
      if (n === undefined || c === undefined) throw new ShapeError(`${name} expects [N, C, ...]`, { x: x.shape });
      if (n % m !== 0) throw new ShapeError(`${name}: the batch size ${n} must divide by the pack size ${m}`, { x: x.shape });
      return [reshape(x, [n / m, m * c, ...x.shape.slice(2)]), state];
    },
  };
}
