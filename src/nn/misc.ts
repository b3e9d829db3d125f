import { ShapeError, ValueError } from '../core/errors.js';
import { bernoulli, normal } from '../core/random.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/activations.js';
import { upsampleBilinear, upsampleNearest } from '../ops/conv.js';
import { concrete } from '../ops/dispatch.js';
import { add, div, mul, sqrt, square, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { mean } from '../ops/reduce.js';
import { broadcastTo, concat, reshape } from '../ops/shape.js';
import { fromFunction } from './activation.js';
import { expectInput, NO_STATE, type Layer, type NoState } from './layer.js';

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

/** Upsampling by an integer factor, nearest or bilinear: `[N, C, H, W] → [N, C, sH, sW]`. */
export function Upsample(scale: number, mode: 'nearest' | 'bilinear' = 'nearest'): Layer<NoState, NoState> {
  const f = mode === 'nearest' ? upsampleNearest : upsampleBilinear;
  return fromFunction(`Upsample(${scale}, ${mode})`, (x) => f(x, scale), (s) => [s[0]!, ...s.slice(1).map((d) => d * scale)]);
}

/**
 * Inverted dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1 − p); the identity in evaluation. Needs `ctx.key` in training.
 */
export function Dropout(p: number): Layer<NoState, NoState> {
  if (!(p >= 0 && p < 1)) throw new ValueError(`dropout probability must be in [0, 1), got ${p}`);
  return {
    name: `Dropout(${p})`,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: inputShape }),
    apply(_params, state, x, ctx) {
      if (!ctx.train || p === 0) return [x, state];
      if (ctx.key === undefined) throw new ValueError('Dropout in training mode needs ctx.key');
      return [mul(x, div(bernoulli(ctx.key, 1 - p, x.shape), 1 - p)), state];
    },
  };
}

export type EmbeddingParams = Readonly<{ weight: Tensor }>;

/**
 * Embedding table `[classes, dim]` for conditional GANs: integer labels x `[N]` → `[N, dim]`
 * (computed as one-hot · table, so the table's gradient is exact). Init N(0, 1) as PyTorch.
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
      return [matmul(oneHot(concrete(x).data, classes), params.weight), state];
    },
  };
}

/**
 * Minibatch standard deviation (Karras et al. 2018, ProGAN): splits the batch into groups of
 * `groupSize` (sample n is in the group of n mod N/G), takes the std of each feature over the
 * group, averages it over features, and appends it as one extra channel (or feature):
 * `[N, C, H, W] → [N, C + 1, H, W]`, `[N, F] → [N, F + 1]`. N must be divisible by the group size
 * (use groupSize ≥ N for the whole batch). Lets D see sample diversity, against mode collapse.
 */
export function MinibatchStddev(groupSize = 4): Layer<NoState, NoState> {
  const name = `MinibatchStddev(${groupSize})`;
  return {
    name,
    init: (_key, inputShape) => ({ params: NO_STATE, state: NO_STATE, outputShape: [inputShape[0]! + 1, ...inputShape.slice(1)] }),
    apply(_params, state, x) {
      const n = x.shape[0]!;
      const g = Math.min(groupSize, n);
      if (n % g !== 0) throw new ShapeError(`${name} needs the batch size divisible by the group size ${g}`, { x: x.shape });
      const m = n / g;
      const rest = x.shape.slice(1);
      const grouped = reshape(x, [g, m, ...rest]);
      const centred = sub(grouped, mean(grouped, { axis: 0, keepDims: true }));
      const std = sqrt(add(mean(square(centred), { axis: 0 }), 1e-8));
      const perGroup = mean(std, { axis: rest.map((_, i) => i + 1) });
      const spatial = rest.slice(1);
      const tiled = broadcastTo(reshape(perGroup, [1, m, 1, ...spatial.map(() => 1)]), [g, m, 1, ...spatial]);
      return [concat([x, reshape(tiled, [n, 1, ...spatial])], 1), state];
    },
  };
}
