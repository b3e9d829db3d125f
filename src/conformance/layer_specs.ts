import * as E from 'fp-ts/lib/Either.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { Conv2d, ConvTranspose2d } from '../nn/conv.js';
import { fromFunction, LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import type { AnyLayer, Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Flatten, Reshape } from '../nn/reshape.js';
import { BatchNorm, InstanceNorm } from '../nn/norm.js';
import { ConcatLabelEmbedding } from '../nn/label_concat.js';
import { MinibatchStddev } from '../nn/minibatch_stddev.js';
import { spectralNorm } from '../nn/spectral_norm.js';
import { mul, softplus } from '../ops/elementwise.js';
import { avgPool2d, pixelShuffle, upsampleNearest } from '../ops/conv.js';
import { transpose } from '../ops/shape.js';

/**
 * The layer specs of the `gan_step_*` reference cases (`attrs.generator`, `attrs.discriminator`):
 * a list of `{ type, ...fields }` built into the project's own layers. Every layer type with an
 * op case is supported:
 *
 *   linear {in, out, bias?}; conv2d {in, out, kernel, stride?, padding?, dilation?, bias?};
 *   conv_transpose2d {in, out, kernel, stride?, padding?, output_padding?, dilation?, bias?};
 *   batch_norm {features, momentum?, eps?, affine?}; instance_norm {features, eps?, affine?};
 *   leaky_relu {slope?}; reshape {shape} (no batch axis); avg_pool2d {kernel};
 *   upsample_nearest (or upsample_nearest2x) {scale?}; pixel_shuffle {upscale};
 *   flatten, relu, tanh, sigmoid, softplus;
 *   label_embedding {classes, dim}: `ConcatLabelEmbedding` (needs `ctx.labels`; run configs only,
 *   no op case); scale {factor}: x ↦ factor·x, no params (run configs only, no op case);
 *   minibatch_stddev {group?}: `nn.MinibatchStddev` (one channel more; run configs only, no op case).
 *
 * `spectral_norm: true` on a weight layer wraps it in `nn.spectralNorm`, with W viewed as
 * `[out, -1]` as PyTorch's `spectral_norm` does; for conv_transpose2d (weight `[in, out, k, k]`)
 * PyTorch normalises along dim 1, so the layer keeps its weight as `[out, in, k, k]` inside and
 * the case's weight is permuted on the way in and out (`permutedWeight`).
 *
 * An unknown type, an unknown field or a field of the wrong kind is an error naming it.
 */
export type BuiltLayer = Readonly<{ layer: AnyLayer; permutedWeight: boolean; inFeatures?: number }>;

type Fields = Record<string, unknown>;

const isRecord = (x: unknown): x is Fields => typeof x === 'object' && x !== null && !Array.isArray(x);
const posInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 1;
const natInt = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const finite = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
const bool = (x: unknown): boolean => typeof x === 'boolean';
const shape = (x: unknown): boolean => Array.isArray(x) && x.length > 0 && x.every(posInt);

type FieldRule = Readonly<{ check: (x: unknown) => boolean; expected: string; required?: boolean }>;
const req = (check: (x: unknown) => boolean, expected: string): FieldRule => ({ check, expected, required: true });
const opt = (check: (x: unknown) => boolean, expected: string): FieldRule => ({ check, expected });

const CONV_FIELDS = {
  in: req(posInt, 'an integer >= 1'),
  out: req(posInt, 'an integer >= 1'),
  kernel: req(posInt, 'an integer >= 1'),
  stride: opt(posInt, 'an integer >= 1'),
  padding: opt(natInt, 'an integer >= 0'),
  dilation: opt(posInt, 'an integer >= 1'),
  bias: opt(bool, 'a boolean'),
  spectral_norm: opt(bool, 'a boolean'),
};

/** The fields each layer type takes (besides `type`). */
const LAYER_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldRule>>>> = {
  linear: { in: req(posInt, 'an integer >= 1'), out: req(posInt, 'an integer >= 1'), bias: opt(bool, 'a boolean'), spectral_norm: opt(bool, 'a boolean') },
  conv2d: CONV_FIELDS,
  conv_transpose2d: { ...CONV_FIELDS, output_padding: opt(natInt, 'an integer >= 0') },
  batch_norm: { features: req(posInt, 'an integer >= 1'), momentum: opt(finite, 'a number'), eps: opt(finite, 'a number'), affine: opt(bool, 'a boolean') },
  instance_norm: { features: req(posInt, 'an integer >= 1'), eps: opt(finite, 'a number'), affine: opt(bool, 'a boolean') },
  leaky_relu: { slope: opt(finite, 'a number') },
  reshape: { shape: req(shape, 'a non-empty array of integers >= 1 (without the batch axis)') },
  avg_pool2d: { kernel: req(posInt, 'an integer >= 1') },
  upsample_nearest: { scale: opt(posInt, 'an integer >= 1') },
  upsample_nearest2x: { scale: opt(posInt, 'an integer >= 1') },
  pixel_shuffle: { upscale: req(posInt, 'an integer >= 1') },
  label_embedding: { classes: req(posInt, 'an integer >= 1'), dim: req(posInt, 'an integer >= 1') },
  scale: { factor: req(finite, 'a number') },
  minibatch_stddev: { group: opt(posInt, 'an integer >= 1') },
  flatten: {},
  relu: {},
  tanh: {},
  sigmoid: {},
  softplus: {},
};

export const LAYER_TYPES = Object.keys(LAYER_FIELDS).sort();

/** Checks one spec's fields against its type's rules; returns every problem. */
function checkFields(spec: Fields, where: string): string[] {
  const rules = LAYER_FIELDS[spec.type as string];
  if (rules === undefined) return [`${where}.type: unknown layer type ${JSON.stringify(spec.type)}; expected one of: ${LAYER_TYPES.join(', ')}`];
  const problems: string[] = [];
  for (const k of Object.keys(spec)) {
    if (k === 'type') continue;
    const rule = rules[k];
    if (rule === undefined) problems.push(`${where}.${k}: unknown field of a ${String(spec.type)} layer; expected: ${Object.keys(rules).join(', ') || 'none'}`);
    else if (!rule.check(spec[k])) problems.push(`${where}.${k}: expected ${rule.expected}, got ${JSON.stringify(spec[k])}`);
  }
  for (const [k, rule] of Object.entries(rules)) if (rule.required && spec[k] === undefined) problems.push(`${where}.${k}: missing (${rule.expected})`);
  return problems;
}

type WeightParams = Readonly<{ weight: Tensor; bias?: Tensor }>;

/** A layer whose params hold its weight permuted by `perm` (an involution) from what `inner` uses. */
function permuteWeight(inner: Layer<WeightParams, unknown>, perm: readonly number[]): Layer<WeightParams, unknown> {
  return {
    name: inner.name,
    init(key, inputShape) {
      const r = inner.init(key, inputShape);
      return { ...r, params: { ...r.params, weight: transpose(r.params.weight, perm) } };
    },
    apply: (params, state, x, ctx) => inner.apply({ ...params, weight: transpose(params.weight, perm) }, state, x, ctx),
  };
}

function build(spec: Fields): BuiltLayer {
  const n = (k: string): number => spec[k] as number;
  const o = (k: string): number | undefined => spec[k] as number | undefined;
  const b = (k: string): boolean | undefined => spec[k] as boolean | undefined;
  const sn = spec.spectral_norm === true;
  const weighted = (layer: Layer<WeightParams, unknown>, transposed: boolean): BuiltLayer => {
    if (!sn) return { layer: layer as AnyLayer, permutedWeight: false, inFeatures: n('in') };
    const inner = transposed ? permuteWeight(layer, [1, 0, 2, 3]) : layer;
    return { layer: spectralNorm(inner) as AnyLayer, permutedWeight: transposed, inFeatures: n('in') };
  };
  const conv = { kernel: n('kernel'), stride: o('stride') ?? 1, padding: o('padding') ?? 0, dilation: o('dilation') ?? 1, bias: b('bias') ?? true };
  const plain = (layer: Layer<unknown, unknown>, inFeatures?: number): BuiltLayer => ({ layer: layer as AnyLayer, permutedWeight: false, ...(inFeatures ? { inFeatures } : {}) });
  switch (spec.type) {
    case 'linear':
      return weighted(Linear(n('out'), { bias: b('bias') ?? true }) as Layer<WeightParams, unknown>, false);
    case 'conv2d':
      return weighted(Conv2d(n('out'), conv) as Layer<WeightParams, unknown>, false);
    case 'conv_transpose2d':
      return weighted(ConvTranspose2d(n('out'), { ...conv, outputPadding: o('output_padding') ?? 0 }) as Layer<WeightParams, unknown>, true);
    case 'batch_norm':
      return plain(BatchNorm({ momentum: o('momentum') ?? 0.1, eps: o('eps') ?? 1e-5, affine: b('affine') ?? true }) as Layer<unknown, unknown>, n('features'));
    case 'instance_norm':
      return plain(InstanceNorm({ eps: o('eps') ?? 1e-5, affine: b('affine') ?? false }) as Layer<unknown, unknown>, n('features'));
    case 'leaky_relu':
      return plain(LeakyReLU(o('slope') ?? 0.01) as Layer<unknown, unknown>);
    case 'reshape':
      return plain(Reshape(spec.shape as number[]) as Layer<unknown, unknown>);
    case 'avg_pool2d': {
      const k = n('kernel');
      return plain(fromFunction(`AvgPool2d(${k})`, (x) => avgPool2d(x, k), (s) => [s[0]!, ...s.slice(1).map((d) => Math.floor(d / k))]) as Layer<unknown, unknown>);
    }
    case 'upsample_nearest':
    case 'upsample_nearest2x': {
      const s = o('scale') ?? 2;
      return plain(fromFunction(`UpsampleNearest(${s})`, (x) => upsampleNearest(x, s), (sh) => [sh[0]!, ...sh.slice(1).map((d) => d * s)]) as Layer<unknown, unknown>);
    }
    case 'pixel_shuffle': {
      const r = n('upscale');
      return plain(fromFunction(`PixelShuffle(${r})`, (x) => pixelShuffle(x, r), (sh) => [sh[0]! / (r * r), sh[1]! * r, sh[2]! * r]) as Layer<unknown, unknown>);
    }
    case 'label_embedding':
      return plain(ConcatLabelEmbedding(n('classes'), n('dim')) as Layer<unknown, unknown>);
    case 'scale': {
      const c = n('factor');
      return plain(fromFunction(`Scale(${c})`, (x) => mul(x, c)) as Layer<unknown, unknown>);
    }
    case 'minibatch_stddev':
      return plain(MinibatchStddev(o('group')) as Layer<unknown, unknown>);
    case 'flatten':
      return plain(Flatten() as Layer<unknown, unknown>);
    case 'relu':
      return plain(ReLU() as Layer<unknown, unknown>);
    case 'tanh':
      return plain(Tanh() as Layer<unknown, unknown>);
    case 'sigmoid':
      return plain(Sigmoid() as Layer<unknown, unknown>);
    default:
      return plain(fromFunction('Softplus', softplus) as Layer<unknown, unknown>);
  }
}

/** Parses a list of layer specs at `where` (e.g. `attrs.generator`); every problem is listed. */
export function parseLayerSpecs(specs: unknown, where: string): E.Either<string[], BuiltLayer[]> {
  if (!Array.isArray(specs) || specs.length === 0) return E.left([`${where}: expected a non-empty list of layer specs { type, ... }`]);
  const problems: string[] = [];
  const layers: BuiltLayer[] = [];
  specs.forEach((spec, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(spec) || typeof spec.type !== 'string') {
      problems.push(`${at}: expected a layer spec { type: string, ... }`);
      return;
    }
    const p = checkFields(spec, at);
    if (spec.spectral_norm === true && !['linear', 'conv2d', 'conv_transpose2d'].includes(spec.type)) {
      problems.push(`${at}.spectral_norm: only weight layers (linear, conv2d, conv_transpose2d) can be spectrally normalised`);
    }
    if (p.length > 0) problems.push(...p);
    else layers.push(build(spec));
  });
  return problems.length > 0 ? E.left(problems) : E.right(layers);
}

/** The per-sample feature (channel) count a layer's `in`/`features` field must match. */
export const declaredInput = (l: BuiltLayer, inputShape: readonly number[]): string | undefined =>
  l.inFeatures !== undefined && inputShape[0] !== l.inFeatures
    ? `declares ${l.inFeatures} input features (channels) but receives per-sample shape [${inputShape.join(', ')}] (${sizeOf(inputShape)} values)`
    : undefined;
