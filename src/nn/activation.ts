import type { Tensor } from '../core/tensor.js';
import { elu, leakyRelu, relu } from '../ops/activations.js';
import { sigmoid, tanh } from '../ops/elementwise.js';
import { NO_STATE, type Layer, type NoState } from './layer.js';

/** A stateless, parameterless layer from a function of the batch (shape-preserving by default). */
export function fromFunction(
  name: string,
  f: (x: Tensor) => Tensor,
  outputShape: (inputShape: readonly number[]) => readonly number[] = (s) => s,
): Layer<NoState, NoState> {
  return {
    name,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: outputShape(inputShape) }),
    apply: (_params, state, x) => [f(x), state],
  };
}

export const ReLU = (): Layer<NoState, NoState> => fromFunction('ReLU', relu);
/** Leaky ReLU, slope 0.2 by default (the DCGAN discriminator's). */
export const LeakyReLU = (slope = 0.2): Layer<NoState, NoState> => fromFunction(`LeakyReLU(${slope})`, (x) => leakyRelu(x, slope));
export const ELU = (alpha = 1): Layer<NoState, NoState> => fromFunction('ELU', (x) => elu(x, alpha));
/** tanh: the generator's output activation for data scaled to [−1, 1]. */
export const Tanh = (): Layer<NoState, NoState> => fromFunction('Tanh', tanh);
export const Sigmoid = (): Layer<NoState, NoState> => fromFunction('Sigmoid', sigmoid);
