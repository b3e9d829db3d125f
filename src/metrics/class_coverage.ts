import { ValueError } from '../core/errors.js';

export type ClassCoverageOptions = Readonly<{ classes: number; threshold?: number }>;

export type ClassCoverage = Readonly<{
  /** Fraction of the samples in each class `[C]`. */
  histogram: Float64Array;
  /** Number of classes holding at least `threshold` (default 5%) of the samples. */
  covered: number;
  /** KL(h ‖ uniform) = Σ_c h_c log(C·h_c) in nats: 0 for a uniform histogram, log C for one class. */
  klFromUniform: number;
}>;

/**
 * Class coverage of a sample set from its predicted labels (e.g. `predictedClasses` of the
 * classifier's probabilities): the class histogram, how many classes hold ≥ `threshold` of the
 * samples, and the histogram's KL divergence from uniform. Mode collapse shows as fewer
 * covered classes and a larger KL.
 */
export function classCoverage(labels: ArrayLike<number>, opts: ClassCoverageOptions): ClassCoverage {
  const { classes } = opts;
  const threshold = opts.threshold ?? 0.05;
  if (!(Number.isInteger(classes) && classes >= 1)) throw new ValueError(`classes must be a positive integer, got ${classes}`);
  if (!(threshold >= 0 && threshold <= 1)) throw new ValueError(`threshold must be in [0, 1], got ${threshold}`);
  if (labels.length === 0) throw new ValueError('classCoverage needs at least one label');
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!(Number.isInteger(y) && y >= 0 && y < classes)) throw new ValueError(`label ${i} is ${y}, expected an integer in [0, ${classes})`);
    counts[y]! += 1;
  }
  const histogram = counts.map((c) => c / labels.length);
  let covered = 0;
  let klFromUniform = 0;
  for (const h of histogram) {
    if (h >= threshold) covered++;
    if (h > 0) klFromUniform += h * Math.log(classes * h);
  }
  return { histogram, covered, klFromUniform };
}
