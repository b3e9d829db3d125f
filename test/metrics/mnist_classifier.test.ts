import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { key, normal } from '../../src/core/random.js';
import { sequential } from '../../src/nn/layer.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { predictedClasses } from '../../src/metrics/class_probabilities.js';
import {
  classifierTensors,
  encodeMnistClassifier,
  loadMnistClassifier,
  mnistClassifierFromBytes,
  mnistClassifierLayers,
  MNIST_INPUT_SHAPE,
} from '../../src/metrics/mnist_classifier.js';
import { loadMnistSplits } from '../../scripts/mnist_split.js';

const fresh = sequential(...mnistClassifierLayers()).init(key(3), MNIST_INPUT_SHAPE).params;

describe('MNIST classifier', () => {
  it('maps digits [N, 1, 28, 28] to 128 features and 10 probabilities per digit', () => {
    const loaded = mnistClassifierFromBytes(encodeMnistClassifier(fresh));
    assert.ok(E.isRight(loaded));
    const x = normal(key(1), [3, 1, 28, 28]);
    assert.deepEqual(loaded.right.features(x).shape, [3, 128]);
    const p = loaded.right.probabilities(x);
    assert.deepEqual(p.shape, [3, 10]);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(p.data.subarray(10 * i, 10 * i + 10).reduce((s, v) => s + v, 0) - 1) < 1e-5);
  });

  it('takes its features from the penultimate layer: the last layer maps them to the logits', () => {
    const loaded = mnistClassifierFromBytes(encodeMnistClassifier(fresh));
    assert.ok(E.isRight(loaded));
    const net = loaded.right;
    const x = normal(key(2), [4, 1, 28, 28]);
    const features = net.features(x);
    assert.ok(features.data.every((v) => v >= 0), 'features are ReLU outputs');
    const last = net.layers.length - 1;
    const logits = net.layers[last]!.apply(net.params[last], net.state[last], features, { train: false })[0];
    const direct = net.logits(x);
    for (let i = 0; i < direct.data.length; i++) assert.ok(Math.abs(logits.data[i]! - direct.data[i]!) < 1e-5);
  });

  it('reloads the params it saved exactly', () => {
    const loaded = mnistClassifierFromBytes(encodeMnistClassifier(fresh));
    assert.ok(E.isRight(loaded));
    assert.deepEqual(classifierTensors(loaded.right.params), classifierTensors(fresh));
  });

  it('names every missing or misshapen tensor of a weights file', () => {
    const tensors = classifierTensors(fresh);
    delete tensors['layers.8.bias'];
    tensors['layers.0.weight'] = normal(key(0), [32, 1, 3, 3]);
    const r = mnistClassifierFromBytes(serializeSafetensors(tensors));
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /layers\.8\.bias is missing/);
    assert.match(r.left.message, /layers\.0\.weight has shape \[32, 1, 3, 3\], expected \[32, 1, 5, 5\]/);
  });

  it('ships weights that classify at least 98% of the held-out digits correctly', async () => {
    const loaded = await loadMnistClassifier();
    assert.ok(E.isRight(loaded), E.isLeft(loaded) ? loaded.left.message : '');
    const { heldOut } = loadMnistSplits();
    const predicted = predictedClasses(loaded.right.probabilities(heldOut.images));
    const right = predicted.reduce((s, p, i) => s + (p === heldOut.labels[i] ? 1 : 0), 0);
    assert.ok(right / predicted.length >= 0.98, `held-out accuracy ${right / predicted.length}`);
  });
});
