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
 * What distinguishes a convolution layer from a transposed one: its weight layout, its output
 * size and its op. Everything else (option checks, initialisation, input checks) is shared.
 */
type ConvKind<G> = Readonly<{
  layer: string;
  /** Weight shape for `c` input and `out` output channels. */
  weightShape(c: number, out: number, kh: number, kw: number): number[];
  /** Which weight axis holds the input channels. */
  inputAxis: 0 | 1;
  outputSize(inputShape: [number, number, number], weightShape: number[], geometry: G): [number, number];
  op(x: Tensor, weight: Tensor, bias: Tensor | undefined, geometry: G): Tensor;
}>;

function convLayer<G extends Readonly<{ stride: number; padding: number }>>(
  kind: ConvKind<G>,
  out: number,
  opts: ConvLayerOptions,
  geometry: G,
): Layer<ConvParams, NoState> {
  const [kh, kw] = pair(opts.kernel);
  const name = `${kind.layer}(${out}, k${kh}x${kw}, s${geometry.stride}, p${geometry.padding})`;
  return {
    name,
    init(key, inputShape) {
      expectInput(name, inputShape, [null, null, null], false);
      const chw = inputShape as [number, number, number];
      const wShape = kind.weightShape(chw[0], out, kh, kw);
      const [oh, ow] = kind.outputSize(chw, wShape, geometry);
      const [k1, k2] = split(key);
      const weight = (opts.weightInit ?? pytorchDefaultWeight)(k1!, wShape);
      const params: ConvParams =
        opts.bias === false ? { weight } : { weight, bias: (opts.biasInit ?? pytorchDefaultBias(wShape))(k2!, [out]) };
      return { params, state: NO_STATE, outputShape: [out, oh, ow] };
    },
    apply(params, state, x) {
      expectTensors(name, 'params', params, ['weight']);
      expectInput(name, x, [params.weight.shape[kind.inputAxis]!, null, null]);
      return [kind.op(x, params.weight, params.bias, geometry), state];
    },
  };
}

type ConvGeometryOptions = Readonly<{ stride: number; padding: number; dilation: number }>;
type ConvTransposeGeometryOptions = ConvGeometryOptions & Readonly<{ outputPadding: number }>;

const CONV: ConvKind<ConvGeometryOptions> = {
  layer: 'Conv2d',
  weightShape: (c, out, kh, kw) => [out, c, kh, kw],
  inputAxis: 1,
  outputSize([c, h, w], wShape, geometry) {
    const g = convGeometry([1, c, h, w], wShape, geometry);
    return [g.oh, g.ow];
  },
  op: conv2d,
};

const CONV_TRANSPOSE: ConvKind<ConvTransposeGeometryOptions> = {
  layer: 'ConvTranspose2d',
  weightShape: (c, out, kh, kw) => [c, out, kh, kw],
  inputAxis: 0,
  outputSize([c, h, w], wShape, geometry) {
    const g = convTransposeGeometry([1, c, h, w], wShape, geometry);
    return [g.h, g.w];
  },
  op: convTranspose2d,
};

/**
 * 2-D convolution layer, `[N, C, H, W] → [N, out, H', W']`, weight `[out, C, kh, kw]`,
 * H' = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1. DCGAN's discriminator uses kernel 4, stride 2, padding 1.
 */
export function Conv2d(out: number, opts: ConvLayerOptions): Layer<ConvParams, NoState> {
  checkPositiveInt('Conv2d', 'out', out);
  checkOptions('Conv2d', opts, CONV_LAYER_KEYS);
  return convLayer(CONV, out, opts, { stride: opts.stride ?? 1, padding: opts.padding ?? 0, dilation: opts.dilation ?? 1 });
}

/**
 * Transposed convolution layer, `[N, C, H, W] → [N, out, H', W']`, weight `[C, out, kh, kw]`,
 * H' = (H − 1)s − 2p + d(kh − 1) + outputPadding + 1. DCGAN's generator uses kernel 4,
 * stride 2, padding 1 (doubling H and W).
 */
export function ConvTranspose2d(out: number, opts: ConvLayerOptions & Readonly<{ outputPadding?: number }>): Layer<ConvParams, NoState> {
  checkPositiveInt('ConvTranspose2d', 'out', out);
  checkOptions('ConvTranspose2d', opts, { ...CONV_LAYER_KEYS, outputPadding: true });
  return convLayer(CONV_TRANSPOSE, out, opts, {
    stride: opts.stride ?? 1,
    padding: opts.padding ?? 0,
    dilation: opts.dilation ?? 1,
    outputPadding: opts.outputPadding ?? 0,
  });
}
