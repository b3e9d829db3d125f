import { checkOptions, checkPositiveInt } from '../core/options.js';
import { split } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { linear as linearOp } from '../ops/linalg.js';
import { pytorchDefaultBias, pytorchDefaultWeight, type Initializer } from './init.js';
import { expectInput, expectTensors, NO_STATE, type Layer, type NoState } from './layer.js';

export type LinearParams = Readonly<{ weight: Tensor; bias?: Tensor }>;

export type LinearOptions = Readonly<{ bias?: boolean; weightInit?: Initializer; biasInit?: Initializer }>;

/**
 * Fully connected layer, `[N, in] → [N, out]`: y = x·Wᵀ + b with W `[out, in]` (PyTorch layout).
 * Default init is PyTorch's (U(±1/√in) for both W and b).
 */
export function Linear(out: number, opts: LinearOptions = {}): Layer<LinearParams, NoState> {
  checkPositiveInt('Linear', 'out', out);
  checkOptions('Linear', opts, { bias: true, weightInit: true, biasInit: true });
  const name = `Linear(${out})`;
  return {
    name,
    init(key, inputShape) {
      const [kw, kb] = split(key);
      const wShape = [out, inputShape[0] ?? 0];
      expectInput(name, inputShape, [null], false);
      const weight = (opts.weightInit ?? pytorchDefaultWeight)(kw!, wShape);
      const params: LinearParams =
        opts.bias === false ? { weight } : { weight, bias: (opts.biasInit ?? pytorchDefaultBias(wShape))(kb!, [out]) };
      return { params, state: NO_STATE, outputShape: [out] };
    },
    apply(params, state, x) {
      expectTensors(name, 'params', params, ['weight']);
      expectInput(name, x, [params.weight.shape[1]!]);
      return [linearOp(x, params.weight, params.bias), state];
    },
  };
}
