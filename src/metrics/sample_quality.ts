import { ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { classCoverage } from './class_coverage.js';
import { mnistScore, predictedClasses } from './class_probabilities.js';
import type { FeatureFn } from './feature_network.js';
import { frechetDistance, gaussianStats, type GaussianStats } from './frechet.js';
import { kernelDistance } from './kernel_distance.js';
import { precisionRecall } from './precision_recall.js';

/** A classifier seen by the metrics: features `[N, d]` and class probabilities `[N, C]`. */
export type MetricNetwork = Readonly<{ features: FeatureFn; probabilities: FeatureFn }>;

/** Features of the real reference set, computed once and reused for every evaluation. */
export type RealReference = Readonly<{ features: Tensor; stats: GaussianStats }>;

export type SampleQuality = Readonly<{
  /** Number of samples evaluated (compare FD and KID only at equal n and reference set). */
  n: number;
  frechetDistance: number;
  kernelDistance: number;
  /** exp(E KL(p(y|x) ‖ p(y))) with the network's classifier. */
  score: number;
  /** Classes holding ≥ 5% of the samples, and the histogram's KL from uniform. */
  classesCovered: number;
  classKlFromUniform: number;
  precision: number;
  recall: number;
}>;

/** Features of the real reference set (e.g. the held-out digits), for `sampleQuality`. */
export function realReference(net: MetricNetwork, real: Tensor): RealReference {
  const features = net.features(real);
  return { features, stats: gaussianStats(features) };
}

/**
 * Every metric of a batch of samples `[N, ...]` against a real reference: FD and KID on the
 * network's features, precision/recall (k-NN, default k = 3) against the real features, the
 * score and class coverage from its probabilities.
 */
export function sampleQuality(opts: Readonly<{ net: MetricNetwork; samples: Tensor; reference: RealReference; k?: number }>): SampleQuality {
  const { net, samples, reference } = opts;
  const features = net.features(samples);
  if (features.shape[1] !== reference.stats.dim) {
    throw new ShapeError('sample features and reference features differ in width', { samples: features.shape, reference: reference.features.shape });
  }
  const probabilities = net.probabilities(samples);
  const classes = probabilities.shape[1]!;
  const coverage = classCoverage(predictedClasses(probabilities), { classes });
  const pr = precisionRecall(reference.features, features, { k: opts.k ?? 3 });
  return {
    n: samples.shape[0]!,
    frechetDistance: frechetDistance(gaussianStats(features), reference.stats),
    kernelDistance: kernelDistance(features, reference.features),
    score: mnistScore(probabilities),
    classesCovered: coverage.covered,
    classKlFromUniform: coverage.klFromUniform,
    precision: pr.precision,
    recall: pr.recall,
  };
}

/** The metrics cheap enough to run during training: FD, the score and class coverage. */
export type QuickQuality = Omit<SampleQuality, 'kernelDistance' | 'precision' | 'recall'>;

/**
 * `sampleQuality` without KID and precision/recall (their cost is O(N²·d); FD's, the score's
 * and coverage's is O(N·d² + d³) after the features): what `--eval-every` computes between
 * the full evaluations.
 */
export function quickSampleQuality(opts: Readonly<{ net: MetricNetwork; samples: Tensor; reference: RealReference }>): QuickQuality {
  const { net, samples, reference } = opts;
  const features = net.features(samples);
  if (features.shape[1] !== reference.stats.dim) {
    throw new ShapeError('sample features and reference features differ in width', { samples: features.shape, reference: reference.features.shape });
  }
  const probabilities = net.probabilities(samples);
  const coverage = classCoverage(predictedClasses(probabilities), { classes: probabilities.shape[1]! });
  return {
    n: samples.shape[0]!,
    frechetDistance: frechetDistance(gaussianStats(features), reference.stats),
    score: mnistScore(probabilities),
    classesCovered: coverage.covered,
    classKlFromUniform: coverage.klFromUniform,
  };
}
