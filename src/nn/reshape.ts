import { ShapeError } from '../core/errors.js';
import { sizeOf } from '../core/tensor.js';
import { reshape } from '../ops/shape.js';
import { fromFunction } from './activation.js';
import type { Layer, NoState } from './layer.js';

/** `[N, ...] → [N, prod(...)]`. */
export const Flatten = (): Layer<NoState, NoState> =>
  fromFunction('Flatten', (x) => reshape(x, [x.shape[0]!, -1]), (s) => [sizeOf(s)]);

/** `[N, ...] → [N, ...shape]` (same number of elements per sample). */
export function Reshape(shape: readonly number[]): Layer<NoState, NoState> {
  const name = `Reshape([${shape.join(', ')}])`;
  return fromFunction(
    name,
    (x) => reshape(x, [x.shape[0]!, ...shape]),
    (s) => {
      if (sizeOf(s) !== sizeOf(shape)) throw new ShapeError(`${name} cannot reshape a sample of ${sizeOf(s)} elements`, { input: s, target: shape });
      return shape;
    },
  );
}
