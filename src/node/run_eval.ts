import * as E from 'fp-ts/lib/Either.js';
import { ValueError, type PureganError } from '../core/errors.js';
import { foldIn, key as makeKey, permutation, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { loadMnistClassifier } from '../metrics/mnist_classifier.js';
import { frechetDistance, gaussianStats } from '../metrics/frechet.js';
import { quickSampleQuality, realReference, sampleQuality, type QuickQuality } from '../metrics/sample_quality.js';
import { concat, slice } from '../ops/shape.js';
import type { RunConfig } from '../train/run_config.js';
import type { ValidTrainConfig } from '../train/config.js';
import { generatorInputs } from '../train/latent_codes.js';
import { sampleGenerator } from '../train/sample.js';
import { cyclicLabels } from '../train/sampling.js';
import type { TrainState } from '../train/state.js';
import { loadMnist } from './mnist.js';

/**
 * Samples per evaluation during training. FD is biased by the sample count, so every FD of a
 * run, its floor included, uses this N against the same 2,000 held-out digits as
 * `npm run metrics:floor` and `npm run quality`.
 */
export const EVAL_SAMPLES = 2000;

/** One evaluation of a run's generator: the quick metrics, the full ones when asked, and its cost. */
export type RunEvaluation = QuickQuality &
  Readonly<{
    /** FD of N train digits against the same reference: the best a generator can do at this N. */
    fdFloor: number;
    kernelDistance?: number;
    precision?: number;
    recall?: number;
    /** Wall time of this evaluation (generation included). */
    seconds: number;
  }>;

export type RunEvaluator = Readonly<{
  n: number;
  fdFloor: number;
  /** Seconds spent building the reference (classifier, held-out and train features). */
  setupSeconds: number;
  /**
   * Evaluates G (its EMA params when the run keeps them, as `sampleGenerator`) on the run's fixed latents: FD, score and coverage; with `full`, KID and
   * precision/recall (k = 3) as well.
   */
  evaluate(state: TrainState, opts: Readonly<{ full: boolean }>): RunEvaluation;
}>;

/** The first n digits of `images` `[M, 1, s, s]` in a fixed permutation (seed), as `npm run metrics:floor` picks them. */
function pick(images: Tensor, seed: number, n: number): Tensor {
  const per = images.data.length / images.shape[0]!;
  const idx = permutation(makeKey(seed), images.shape[0]!).subarray(0, n);
  const out = new Float32Array(n * per);
  idx.forEach((r, i) => out.set(images.data.subarray(r * per, (r + 1) * per), i * per));
  return tensor([n, ...images.shape.slice(1)], out);
}

/** A 32×32 digit (MNIST padded by 2) back to the classifier's 28×28. */
const to28 = (x: Tensor): Tensor => (x.shape[3] === 32 ? slice(x, [0, 0, 2, 2], [x.shape[0]!, 1, 30, 30]) : x);

/**
 * The evaluator of an MNIST run with the shipped classifier: reference = N held-out digits of
 * the run's classes (those the training never sees), floor = FD of N train digits against it,
 * samples = G on N inputs fixed by the run's key (`generatorInputs` from `foldIn(key, 4)`,
 * InfoGAN's codes included; class-conditional runs cycle through the classes). G runs in batches of 500 in eval mode. N is `EVAL_SAMPLES` or
 * the held-out count if smaller (a run on a few digits).
 */
export async function makeMnistRunEvaluator(o: Readonly<{ run: RunConfig; train: ValidTrainConfig; key: Key; n?: number }>): Promise<E.Either<PureganError, RunEvaluator>> {
  const t0 = performance.now();
  if (o.run.data.source !== 'mnist') return E.left(new ValueError(`the MNIST evaluator needs an MNIST run, got data.source ${o.run.data.source}`));
  const classes = o.run.data.classes;
  const net = await loadMnistClassifier();
  if (E.isLeft(net)) return net;
  const heldOut = await loadMnist({ split: 'test', size: 28, ...(classes ? { classes } : {}) });
  if (E.isLeft(heldOut)) return heldOut;
  const trainSplit = await loadMnist({ split: 'train', size: 28, ...(classes ? { classes } : {}) });
  if (E.isLeft(trainSplit)) return trainSplit;
  const n = Math.min(o.n ?? EVAL_SAMPLES, heldOut.right.images.shape[0]!);
  const reference = realReference(net.right, pick(heldOut.right.images, 1, n));
  const fdFloor = frechetDistance(gaussianStats(net.right.features(pick(trainSplit.right.images, 0, n))), reference.stats);
  const z = generatorInputs({ latent: o.run.latent, infogan: o.train.techniques.infogan, key: foldIn(o.key, 4), n });
  const labels = o.run.conditioning === undefined ? undefined : cyclicLabels(n, o.run.conditioning.classes);
  const samplesOf = (state: TrainState): Tensor => {
    const parts: Tensor[] = [];
    for (let s = 0; s < n; s += 500) {
      const e = Math.min(n, s + 500);
      parts.push(to28(sampleGenerator(o.train, state, slice(z, [s], [e]), labels === undefined ? {} : { labels: slice(labels, [s], [e]) })));
    }
    return parts.length === 1 ? parts[0]! : concat(parts, 0);
  };
  const setupSeconds = (performance.now() - t0) / 1000;
  return E.right({
    n,
    fdFloor,
    setupSeconds,
    evaluate(state, { full }) {
      const start = performance.now();
      const samples = samplesOf(state);
      const q = full ? sampleQuality({ net: net.right, samples, reference }) : quickSampleQuality({ net: net.right, samples, reference });
      return { ...q, fdFloor, seconds: (performance.now() - start) / 1000 };
    },
  });
}
