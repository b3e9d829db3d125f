import { convGeometry, convTransposeGeometry } from '../backend/geometry.js';
import { checkOptions, checkPositiveInt, type OptionKeys } from '../core/options.js';
import { pair, type Pair } from '../core/pair.js';
import { split } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { conv2d, convTranspose2d } from '../ops/conv.js';
import { pytorchDefaultBias, pytorchDefaultWeight, type Initializer } from './init.js';
import { expectInput, expectTensors, NO_STATE, type Layer, type NoState } from './layer.js';

export type ConvParams = Readonly<{ weight: Tensor; bias?: Tensor }>;

export type ConvLayerOptions = Readonly<{
  kernel: Pair;
  stride?: number;
  padding?: number;
  dilation?: number;
  bias?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
}>;

const CONV_LAYER_KEYS: OptionKeys<ConvLayerOptions> = { kernel: true, stride: true, padding: true, dilation: true, bias: true, weightInit: true, biasInit: true };

/**
 * 2-D convolution layer, `[N, C, H, W] → [N, out, H', W']`, weight `[out, C, kh, kw]`,
 * H' = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1. DCGAN's discriminator uses kernel 4, stride 2, padding 1.
 */
export function Conv2d(out: number, opts: ConvLayerOptions): Layer<ConvParams, NoState> {
  checkPositiveInt('Conv2d', 'out', out);
  checkOptions('Conv2d', opts, CONV_LAYER_KEYS);
  const [kh, kw] = pair(opts.kernel);
  const conv = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1 };
  const name = `Conv2d(${out}, k${kh}x${kw}, s${conv.stride}, p${conv.padding})`;
  return {
    name,
    init(key, inputShape) {
      expectInput(name, inputShape, [null, null, null], false);
      const [c, h, w] = inputShape as [number, number, number];
      const wShape = [out, c, kh, kw];
      const g = convGeometry([1, c, h, w], wShape, conv);
      const [k1, k2] = split(key);
      const weight = (opts.weightInit ?? pytorchDefaultWeight)(k1!, wShape);
      const params: ConvParams =
        opts.bias === false ? { weight } : { weight, bias: (opts.biasInit ?? pytorchDefaultBias(wShape))(k2!, [out]) };
      return { params, state: NO_STATE, outputShape: [out, g.oh, g.ow] };
    },
    apply(params, state, x) {
      expectTensors(name, 'params', params, ['weight']);
      expectInput(name, x, [params.weight.shape[1]!, null, null]);
      return [conv2d(x, params.weight, params.bias, conv), state];
    },
  };
}

/**
 * Transposed convolution layer, `[N, C, H, W] → [N, out, H', W']`, weight `[C, out, kh, kw]`,
 * H' = (H − 1)s − 2p + d(kh − 1) + outputPadding + 1. DCGAN's generator uses kernel 4,
 * stride 2, padding 1 (doubling H and W).
 */
export function ConvTranspose2d(out: number, opts: ConvLayerOptions & Readonly<{ outputPadding?: number }>): Layer<ConvParams, NoState> {
  checkPositiveInt('ConvTranspose2d', 'out', out);
  checkOptions('ConvTranspose2d', opts, { ...CONV_LAYER_KEYS, outputPadding: true });
  const [kh, kw] = pair(opts.kernel);
  const conv = { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1, outputPadding: opts.outputPadding ?? 0 };
  const name = `ConvTranspose2d(${out}, k${kh}x${kw}, s${conv.stride}, p${conv.padding})`;
  return {
    name,
    init(key, inputShape) {
      expectInput(name, inputShape, [null, null, null], false);
      const [c, h, w] = inputShape as [number, number, number];
      const wShape = [c, out, kh, kw];
      const g = convTransposeGeometry([1, c, h, w], wShape, conv);
      const [k1, k2] = split(key);
      const weight = (opts.weightInit ?? pytorchDefaultWeight)(k1!, wShape);
      const params: ConvParams =
        opts.bias === false ? { weight } : { weight, bias: (opts.biasInit ?? pytorchDefaultBias(wShape))(k2!, [out]) };
      return { params, state: NO_STATE, outputShape: [out, g.h, g.w] };
    },
    apply(params, state, x) {
      expectTensors(name, 'params', params, ['weight']);
      expectInput(name, x, [params.weight.shape[0]!, null, null]);
      return [convTranspose2d(x, params.weight, params.bias, conv), state];
    },
  };
}
