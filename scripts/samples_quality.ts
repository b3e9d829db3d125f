/**
 * `npm run quality:samples -- FILE.npy`: the MNIST metrics of generated digits saved by another
 * framework (e.g. `scripts/pytorch_mnist_gan.py`), on the footing of `npm run quality`: the
 * first N = 2,000 images of the file (`[N, 1, 28, 28]` float32 in [−1, 1], or uint8) against the
 * same 2,000 held-out digits, with the shipped classifier. Prints one line and a JSON object.
 *
 *     npm run quality:samples -- FILE.npy [--threads 2]
 */
import * as E from 'fp-ts/lib/Either.js';
import { init } from '../src/index.js';
import { loadMnistClassifier } from '../src/metrics/mnist_classifier.js';
import { realReference, sampleQuality } from '../src/metrics/sample_quality.js';
import { loadNpyDataset } from '../src/node/npy_dataset.js';
import { takeRows } from '../src/data/iterate.js';
import { loadMnistSplits, subset } from './mnist_split.js';

const N = 2000;

const file = process.argv[2];
if (file === undefined || file.startsWith('--')) {
  console.error('usage: npm run quality:samples -- FILE.npy [--threads 2]');
  process.exit(2);
}
const threadsAt = process.argv.indexOf('--threads');
const backend = await init({ threads: threadsAt >= 0 ? Number(process.argv[threadsAt + 1]) : 2 });
const loaded = await loadNpyDataset({ images: file });
if (E.isLeft(loaded)) {
  console.error(`samples_quality: ${loaded.left.message}`);
  process.exit(1);
}
const images = loaded.right.images;
if (images.shape.join(',') !== `${images.shape[0]},1,28,28` || images.shape[0]! < N) {
  console.error(`samples_quality: ${file} must hold at least ${N} digits [N, 1, 28, 28], got [${images.shape.join(', ')}]`);
  process.exit(1);
}
const net = await loadMnistClassifier();
if (E.isLeft(net)) throw net.left;
const reference = realReference(net.right, subset(loadMnistSplits().heldOut, 1, N));
const samples = takeRows(images, Int32Array.from({ length: N }, (_, i) => i));
const q = sampleQuality({ net: net.right, samples, reference });
console.log(
  `${file}, N = ${N} vs ${N} held-out digits: FD ${q.frechetDistance.toFixed(2)}, MNIST score ${q.score.toFixed(2)}, classes ${q.classesCovered}/10, precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)}`,
);
console.log(JSON.stringify({ file, ...q }));
await backend.close?.();
