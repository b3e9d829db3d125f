/**
 * `npm run metrics:floor`: the real-data floor and ceiling of the MNIST metrics with the
 * shipped classifier. The reference set is 2,000 held-out digits (the first 2,000 of a fixed
 * permutation, seed 1, of the 2,004 held-out); the "samples" are 2,000 train digits (seed 0).
 * FD/KID/precision/recall of train vs held-out are the floor every generator is compared with
 * at the same N = 2,000 against the same reference; the held-out digits' own score and
 * coverage are the ceiling. Also reports the classifier's held-out accuracy (all 2,004).
 */
import * as E from 'fp-ts/lib/Either.js';
import { init } from '../src/index.js';
import { loadMnistClassifier } from '../src/metrics/mnist_classifier.js';
import { classCoverage } from '../src/metrics/class_coverage.js';
import { mnistScore, predictedClasses } from '../src/metrics/class_probabilities.js';
import { realReference, sampleQuality } from '../src/metrics/sample_quality.js';
import { loadMnistSplits, subset } from './mnist_split.js';

const N = 2000;

const backend = await init();
const loaded = await loadMnistClassifier();
if (E.isLeft(loaded)) throw loaded.left;
const net = loaded.right;
const { train, heldOut } = loadMnistSplits();

const heldOutPredictions = predictedClasses(net.probabilities(heldOut.images));
const accuracy = heldOutPredictions.reduce((s, p, i) => s + (p === heldOut.labels[i] ? 1 : 0), 0) / heldOut.labels.length;

const start = performance.now();
const reference = realReference(net, subset(heldOut, 1, N));
const floor = sampleQuality({ net, samples: subset(train, 0, N), reference });
const seconds = (performance.now() - start) / 1000;
const heldOutProbabilities = net.probabilities(subset(heldOut, 1, N));
const ceiling = classCoverage(predictedClasses(heldOutProbabilities), { classes: 10 });

console.log(`classifier held-out accuracy: ${(100 * accuracy).toFixed(2)}% (${heldOut.labels.length} held-out digits)`);
console.log(`floor, ${N} train digits vs ${N} held-out digits: FD ${floor.frechetDistance.toFixed(3)}, KID ${floor.kernelDistance.toExponential(3)}, precision ${floor.precision.toFixed(3)}, recall ${floor.recall.toFixed(3)}, train score ${floor.score.toFixed(3)}, classes ${floor.classesCovered}/10 (${seconds.toFixed(1)} s for the metrics)`);
console.log(`ceiling, ${N} held-out digits: MNIST score ${mnistScore(heldOutProbabilities).toFixed(3)}, classes ${ceiling.covered}/10, class KL from uniform ${ceiling.klFromUniform.toFixed(4)}`);
console.log(JSON.stringify({ n: N, heldOutAccuracy: accuracy, floor, ceiling: { score: mnistScore(heldOutProbabilities), classesCovered: ceiling.covered, classKlFromUniform: ceiling.klFromUniform } }));
await backend.close?.();
