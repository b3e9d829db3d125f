import { ShapeError } from '../core/errors.js';
import { add, sqrt, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { broadcastTo, concat, reshape } from '../ops/shape.js';
import { NO_STATE, type Layer, type NoState } from './layer.js';

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
