import fc from 'fast-check';
import { key as makeKey, type Key } from '../core/random.js';
import { sizeOf, tensor, type Tensor } from '../core/tensor.js';
import { convGeometry } from '../backend/geometry.js';
import type { ConvGeometry } from '../backend/backend.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { LeakyReLU, Tanh, ELU } from '../nn/activation.js';
import { spectralNorm } from '../nn/spectral_norm.js';

/**
 * fast-check arbitraries for property tests of tensors, convolutions and small networks.
 * Every arbitrary shrinks toward small shapes and simple values.
 */

export type ShapeConstraints = Readonly<{ minRank?: number; maxRank?: number; minDim?: number; maxDim?: number }>;

/** Shapes with rank and dimensions in the given ranges (defaults: rank 0–4, dims 1–5). */
export function arbShape(c: ShapeConstraints = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: c.minDim ?? 1, max: c.maxDim ?? 5 }), { minLength: c.minRank ?? 0, maxLength: c.maxRank ?? 4 });
}

export type ValueConstraints = Readonly<{
  min?: number;
  max?: number;
  /**
   * Values with |v| < minMagnitude become 0 (default 0: every float32, subnormals included).
   * GPUs may flush subnormals to zero (WGSL allows it), so a value of 1e-45 is 0 there and a
   * kink such as leakyRelu's at 0 takes the other branch; 1e-6 keeps every product of two
   * drawn values a normal float.
   */
  minMagnitude?: number;
}>;

/** A tensor of exactly `shape` with finite float32 values in [min, max] (default [−2, 2]). */
export function arbTensorOfShape(shape: readonly number[], v: ValueConstraints = {}): fc.Arbitrary<Tensor> {
  const n = sizeOf(shape);
  const tiny = v.minMagnitude ?? 0;
  return fc
    .array(fc.float({ min: Math.fround(v.min ?? -2), max: Math.fround(v.max ?? 2), noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n })
    .map((xs) => tensor(shape, tiny > 0 ? xs.map((x) => (Math.abs(x) < tiny ? 0 : x)) : xs));
}

/** A tensor of a random shape (see `arbShape`) with values in [min, max]. */
export function arbTensor(c: ShapeConstraints & ValueConstraints = {}): fc.Arbitrary<Tensor> {
  return arbShape(c).chain((s) => arbTensorOfShape(s, c));
}

/** PRNG keys from random seeds. */
export const arbKey = (): fc.Arbitrary<Key> => fc.integer({ min: 0, max: 2 ** 31 - 1 }).map(makeKey);

export type ConvConfigConstraints = Readonly<{
  maxBatch?: number;
  maxChannels?: number;
  maxSize?: number;
  maxKernel?: number;
  maxStride?: number;
  maxPadding?: number;
  maxDilation?: number;
  /** Sizes to favour (awkward ones for kernels: 1, 3, 7, 17, 65 by default). */
  sizes?: readonly number[];
}>;

/**
 * Valid conv2d configurations: a geometry whose output is non-empty, drawn from batch 1–maxBatch,
 * channels, image sizes (mixing `sizes` with small random ones), kernel, stride, padding ≤
 * kernel − 1 and dilation.
 */
export function arbConvGeometry(c: ConvConfigConstraints = {}): fc.Arbitrary<ConvGeometry> {
  const sizes = c.sizes ?? [1, 3, 7, 17];
  const size = fc.oneof(fc.constantFrom(...sizes.filter((s) => s <= (c.maxSize ?? 17))), fc.integer({ min: 1, max: c.maxSize ?? 9 }));
  return fc
    .record({
      n: fc.integer({ min: 1, max: c.maxBatch ?? 3 }),
      c: fc.integer({ min: 1, max: c.maxChannels ?? 4 }),
      o: fc.integer({ min: 1, max: c.maxChannels ?? 4 }),
      h: size,
      w: size,
      kh: fc.integer({ min: 1, max: c.maxKernel ?? 4 }),
      kw: fc.integer({ min: 1, max: c.maxKernel ?? 4 }),
      stride: fc.integer({ min: 1, max: c.maxStride ?? 3 }),
      padding: fc.integer({ min: 0, max: c.maxPadding ?? 2 }),
      dilation: fc.integer({ min: 1, max: c.maxDilation ?? 2 }),
    })
    .filter((r) => r.padding < r.kh * r.dilation && r.padding < r.kw * r.dilation)
    .filter((r) => r.h + 2 * r.padding >= r.dilation * (r.kh - 1) + 1 && r.w + 2 * r.padding >= r.dilation * (r.kw - 1) + 1)
    .map((r) => convGeometry([r.n, r.c, r.h, r.w], [r.o, r.c, r.kh, r.kw], { stride: r.stride, padding: r.padding, dilation: r.dilation }));
}

export type NetworkConstraints = Readonly<{ inputSize?: number; maxDepth?: number; maxWidth?: number; spectral?: boolean }>;

/**
 * Small random MLPs `[N, inputSize] → [N, 1]` built from Linear layers (spectrally normalised
 * when `spectral`) and 1-Lipschitz activations (LeakyReLU(0.2), tanh, ELU). Yields the layer and
 * a description.
 */
export function arbMlp(c: NetworkConstraints = {}): fc.Arbitrary<{ layer: AnyLayer; description: string; inputShape: number[] }> {
  const inputSize = c.inputSize ?? 4;
  const act = fc.constantFrom<[string, () => AnyLayer]>(['leaky', () => LeakyReLU(0.2)], ['tanh', () => Tanh()], ['elu', () => ELU()]);
  return fc
    .array(fc.tuple(fc.integer({ min: 1, max: c.maxWidth ?? 8 }), act), { minLength: 0, maxLength: c.maxDepth ?? 3 })
    .map((hidden) => {
      const lin = (w: number): AnyLayer => (c.spectral ? (spectralNorm(Linear(w)) as AnyLayer) : (Linear(w) as AnyLayer));
      const layers: AnyLayer[] = [];
      for (const [w, [, mk]] of hidden) layers.push(lin(w), mk());
      layers.push(lin(1));
      const description = [...hidden.map(([w, [a]]) => `Linear(${w})→${a}`), 'Linear(1)'].join('→');
      return { layer: sequential(...layers) as AnyLayer, description, inputShape: [inputSize] };
    });
}
