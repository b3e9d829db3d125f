import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { sequential, type AnyLayer, type Layer } from '../nn/layer.js';
import { concat, slice } from '../ops/shape.js';

/** A feature network: a batch `[N, ...]` → features `[N, d]`. Any function will do. */
export type FeatureFn = (x: Tensor) => Tensor;

/** A trained layer whose output (in evaluation mode) is the feature. */
export type LayerFeatures<P, S> = Readonly<{ layer: Layer<P, S>; params: P; state: S }>;

/**
 * A trained stack of layers (as passed to `nn.sequential`, with the params and state that
 * sequential's init returned) and the index of the layer whose output is the feature; the
 * layers after it are not run. E.g. `featureLayer: layers.length - 2` for the penultimate.
 */
export type StackFeatures = Readonly<{
  layers: readonly AnyLayer[];
  params: readonly unknown[];
  state: readonly unknown[];
  featureLayer: number;
}>;

/** Turns a layer (or a prefix of a layer stack) into a feature function, run in eval mode. */
export function featureFn<P, S>(net: FeatureFn | LayerFeatures<P, S> | StackFeatures): FeatureFn {
  if (typeof net === 'function') return net;
  if ('layers' in net) {
    const { layers, params, state, featureLayer } = net;
    if (!(Number.isInteger(featureLayer) && featureLayer >= 0 && featureLayer < layers.length)) {
      throw new ValueError(`featureLayer must be an index into the ${layers.length} layers, got ${featureLayer}`);
    }
    if (params.length !== layers.length || state.length !== layers.length) {
      throw new ValueError(`a stack of ${layers.length} layers needs as many params and states, got ${params.length} and ${state.length}`);
    }
    const prefix = sequential(...layers.slice(0, featureLayer + 1));
    const p = params.slice(0, featureLayer + 1);
    const s = state.slice(0, featureLayer + 1);
    return (x) => prefix.apply(p, s, x, { train: false })[0];
  }
  const { layer, params, state } = net;
  return (x) => layer.apply(params, state, x, { train: false })[0];
}

/**
 * Features of a large batch x `[N, ...]` → `[N, d]`, computed `batchSize` rows at a time
 * (default 500) to bound memory.
 */
export function extractFeatures(f: FeatureFn, x: Tensor, opts: Readonly<{ batchSize?: number }> = {}): Tensor {
  const batch = opts.batchSize ?? 500;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new ValueError(`batchSize must be a positive integer, got ${batch}`);
  const n = x.shape[0] ?? 0;
  if (n <= batch) return f(x);
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    parts.push(f(slice(x, [start], [end])));
  }
  return concat(parts, 0);
}
