/**
 * The MNIST classifier shipped with puregan, the default feature network of the metrics:
 *
 *     [N, 1, 28, 28] → Conv2d(32, k5, s2, p2) → ReLU → [N, 32, 14, 14]
 *                    → Conv2d(64, k3, s2, p1) → ReLU → [N, 64, 7, 7]
 *                    → Flatten → Linear(128) → ReLU   → [N, 128]   (features: layer 6)
 *                    → Dropout(0.5) → Linear(10)       → [N, 10]    (logits)
 *
 * Inputs are digits in [−1, 1] (0 → −1, the package's 1 → 1). Trained with puregan itself by
 * `npm run train:classifier` (scripts/train_classifier.ts); weights in
 * assets/mnist_classifier.safetensors, tensors named `layers.<i>.weight` / `layers.<i>.bias`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { IoError, ParseError, type PureganError } from '../core/errors.js';
import { key } from '../core/random.js';
import { shapesEqual, type Tensor } from '../core/tensor.js';
import { Conv2d } from '../nn/conv.js';
import { ReLU } from '../nn/activation.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { Dropout } from '../nn/dropout.js';
import { Flatten } from '../nn/reshape.js';
import { softmax } from '../ops/activations.js';
import { parseFloat32Tensors, serializeSafetensors } from '../io/safetensors.js';
import { extractFeatures, featureFn, type FeatureFn } from './feature_network.js';

/** The classifier's layers (fresh, untrained). */
export const mnistClassifierLayers = (): AnyLayer[] => [
  Conv2d(32, { kernel: 5, stride: 2, padding: 2 }) as AnyLayer,
  ReLU() as AnyLayer,
  Conv2d(64, { kernel: 3, stride: 2, padding: 1 }) as AnyLayer,
  ReLU() as AnyLayer,
  Flatten() as AnyLayer,
  Linear(128) as AnyLayer,
  ReLU() as AnyLayer,
  Dropout(0.5) as AnyLayer,
  Linear(10) as AnyLayer,
];

/** Index of the layer whose output is the feature (the penultimate activations, d = 128). */
export const MNIST_FEATURE_LAYER = 6;
export const MNIST_INPUT_SHAPE: readonly number[] = [1, 28, 28];

export type MnistClassifier = Readonly<{
  layers: readonly AnyLayer[];
  params: readonly unknown[];
  state: readonly unknown[];
  /** x `[N, 1, 28, 28]` in [−1, 1] → logits `[N, 10]`. */
  logits: (x: Tensor) => Tensor;
  /** x → p(y|x) `[N, 10]`, computed in batches of 500. */
  probabilities: (x: Tensor) => Tensor;
  /** x → penultimate features `[N, 128]`, computed in batches of 500. */
  features: (x: Tensor) => Tensor;
}>;

type Named = Readonly<{ weight?: Tensor; bias?: Tensor }>;

/** The classifier's params as named tensors (`layers.<i>.weight`, `layers.<i>.bias`). */
export function classifierTensors(params: readonly unknown[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  params.forEach((p, i) => {
    const { weight, bias } = p as Named;
    if (weight !== undefined) out[`layers.${i}.weight`] = weight;
    if (bias !== undefined) out[`layers.${i}.bias`] = bias;
  });
  return out;
}

/** Encodes trained params as the safetensors file the package ships. */
export const encodeMnistClassifier = (params: readonly unknown[]): Uint8Array => serializeSafetensors(classifierTensors(params));

/** A classifier from its layers and trained params (state: the layers have none). */
export function mnistClassifierFromParams(params: readonly unknown[]): MnistClassifier {
  const layers = mnistClassifierLayers();
  const net = sequential(...layers);
  const state = net.init(key(0), MNIST_INPUT_SHAPE).state;
  const logits: FeatureFn = (x) => net.apply(params, state, x, { train: false })[0];
  const feat = featureFn({ layers, params, state, featureLayer: MNIST_FEATURE_LAYER });
  return {
    layers,
    params,
    state,
    logits,
    probabilities: (x) => extractFeatures((b) => softmax(logits(b), 1), x),
    features: (x) => extractFeatures(feat, x),
  };
}

/**
 * The classifier from safetensors bytes: every tensor the architecture needs must be there
 * with its shape; all problems are listed in one ParseError.
 */
export function mnistClassifierFromBytes(bytes: Uint8Array): E.Either<PureganError, MnistClassifier> {
  const decoded = parseFloat32Tensors(bytes);
  if (E.isLeft(decoded)) return decoded;
  const template = sequential(...mnistClassifierLayers()).init(key(0), MNIST_INPUT_SHAPE).params;
  const wanted = classifierTensors(template);
  const problems: string[] = [];
  for (const [name, t] of Object.entries(wanted)) {
    const got = decoded.right[name];
    if (got === undefined) problems.push(`${name} is missing`);
    else if (!shapesEqual(got.shape, t.shape)) problems.push(`${name} has shape [${got.shape.join(', ')}], expected [${t.shape.join(', ')}]`);
  }
  if (problems.length > 0) return E.left(new ParseError(`MNIST classifier weights:\n  - ${problems.join('\n  - ')}`));
  const params = template.map((p, i) => {
    const { weight, bias } = p as Named;
    if (weight === undefined) return p;
    return bias === undefined ? { weight: decoded.right[`layers.${i}.weight`]! } : { weight: decoded.right[`layers.${i}.weight`]!, bias: decoded.right[`layers.${i}.bias`]! };
  });
  return E.right(mnistClassifierFromParams(params));
}

/**
 * The shipped classifier. In Node it reads assets/mnist_classifier.safetensors from the
 * package; elsewhere (browsers) pass the file's bytes, e.g. from `fetch`.
 */
export async function loadMnistClassifier(opts: Readonly<{ bytes?: Uint8Array }> = {}): Promise<E.Either<PureganError, MnistClassifier>> {
  if (opts.bytes !== undefined) return mnistClassifierFromBytes(opts.bytes);
  const { readFile } = await import('node:fs/promises');
  const url = new URL('../../../assets/mnist_classifier.safetensors', import.meta.url);
  try {
    return mnistClassifierFromBytes(new Uint8Array(await readFile(url)));
  } catch (e) {
    return E.left(new IoError(`cannot read the shipped MNIST classifier ${url.pathname}: ${(e as Error).message}`));
  }
}
