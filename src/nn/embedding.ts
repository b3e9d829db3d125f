import { normal } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/activations.js';
import { matmul } from '../ops/linalg.js';
import { expectInput, NO_STATE, type Layer, type NoState } from './layer.js';

export type EmbeddingParams = Readonly<{ weight: Tensor }>;

/**
 * Embedding table `[classes, dim]` for conditional GANs: class ids x `[N]` (a float tensor of
 * integers) → `[N, dim]`, computed as oneHot(x) · table so it traces and the table's gradient
 * is exact. An id outside 0..classes − 1 gives a zero row. Init N(0, 1) as PyTorch.
 */
export function Embedding(classes: number, dim: number): Layer<EmbeddingParams, NoState> {
  const name = `Embedding(${classes}, ${dim})`;
  return {
    name,
    init(key, inputShape) {
      expectInput(name, inputShape, [], false);
      return { params: { weight: normal(key, [classes, dim]) }, state: NO_STATE, outputShape: [dim] };
    },
    apply(params, state, x) {
      expectInput(name, x, []);
      return [matmul(oneHot(x, classes), params.weight), state];
    },
  };
}
