import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal } from '../../src/core/random.js';
import { ValueError } from '../../src/core/errors.js';
import { Linear, ReLU, sequential, type AnyLayer } from '../../src/nn/index.js';
import { extractFeatures, featureFn } from '../../src/metrics/feature_network.js';

const layers: AnyLayer[] = [Linear(6) as AnyLayer, ReLU() as AnyLayer, Linear(3) as AnyLayer];
const net = sequential(...layers);
const { params, state } = net.init(key(0), [4]);

describe('featureFn', () => {
  it('runs a layer stack only up to the feature layer', () => {
    const x = normal(key(1), [5, 4]);
    const f = featureFn({ layers, params, state, featureLayer: 1 });
    const expected = layers[1]!.apply(params[1], state[1], layers[0]!.apply(params[0], state[0], x, { train: false })[0], { train: false })[0];
    assert.deepEqual(f(x), expected);
    assert.deepEqual(f(x).shape, [5, 6]);
  });

  it('runs a whole layer when given one', () => {
    const x = normal(key(1), [5, 4]);
    assert.deepEqual(featureFn({ layer: net, params, state })(x), net.apply(params, state, x, { train: false })[0]);
  });

  it('rejects a feature layer index outside the stack', () => {
    assert.throws(() => featureFn({ layers, params, state, featureLayer: 3 }), ValueError);
  });
});

describe('extractFeatures', () => {
  it('gives the same features in batches as in one call', () => {
    const x = normal(key(2), [23, 4]);
    const f = featureFn({ layers, params, state, featureLayer: 2 });
    const whole = f(x);
    const batched = extractFeatures(f, x, { batchSize: 5 });
    assert.deepEqual(batched.shape, whole.shape);
    assert.deepEqual(batched.data, whole.data);
  });
});
