import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { normal, randint, split, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';

/**
 * The 2-D mode-collapse benchmarks: mixtures of equally weighted isotropic Gaussians, and the
 * metrics the VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018) papers report on them.
 *
 * - `ring8`: 8 modes evenly on a circle of radius 2 (the first at (2, 0)), std 0.02;
 * - `grid25`: a 5×5 grid with spacing 2 centred on the origin (x, y ∈ {−4, −2, 0, 2, 4}),
 *   std 0.05 — PacGAN's `2DGrid` config (`MEANS = product(range(-4, 5, 2))`, variance 0.05²);
 * - `grid100`: the 10×10 grid with spacing 2 centred on the origin (x, y ∈ {−9, −7, …, 9}),
 *   std 0.05.
 *
 * The metric rule (`modeMetrics`), from PacGAN's released evaluation code
 * (github.com/fjxmlzn/PacGAN, `synthetic_data_experiments/PacGAN/pacgan/extensions.py`,
 * `MetricLogger`, which follows VEEGAN's protocol of 2,500 generated samples): each sample is
 * assigned to its nearest mode; it is *high quality* when its distance to that mode is below
 * 3 standard deviations; a mode is *covered* when at least one high-quality sample is assigned
 * to it (`minCount`, default 1, makes the rule stricter). The KL divergence is the PacGAN paper's
 * "reverse KL": KL(q ‖ u) = Σₖ qₖ log(K·qₖ) of the histogram q of high-quality samples over the
 * K modes against the uniform u; when no sample is high quality it is taken as log K, the value
 * of a histogram collapsed onto one mode (the largest KL(q ‖ u) can be).
 */
export type GaussianMixture = Readonly<{ name: string; means: readonly (readonly [number, number])[]; std: number }>;

/** `modes` Gaussians evenly on a circle of `radius`, the first at (radius, 0). */
export function ringMixture(opts: Readonly<{ modes: number; radius: number; std: number }>): GaussianMixture {
  checkOptions('ringMixture', opts, { modes: true, radius: true, std: true });
  checkMixtureOptions(opts.modes, opts.std);
  const means = Array.from({ length: opts.modes }, (_, k) => {
    const a = (2 * Math.PI * k) / opts.modes;
    return Object.freeze([opts.radius * Math.cos(a), opts.radius * Math.sin(a)] as const);
  });
  return Object.freeze({ name: `ring${opts.modes}`, means: Object.freeze(means), std: opts.std });
}

/** A side×side grid of Gaussians `spacing` apart, centred on the origin (row-major, x fastest). */
export function gridMixture(opts: Readonly<{ side: number; spacing: number; std: number }>): GaussianMixture {
  checkOptions('gridMixture', opts, { side: true, spacing: true, std: true });
  checkMixtureOptions(opts.side, opts.std);
  const offset = ((opts.side - 1) * opts.spacing) / 2;
  const means = Array.from({ length: opts.side * opts.side }, (_, k) =>
    Object.freeze([(k % opts.side) * opts.spacing - offset, Math.floor(k / opts.side) * opts.spacing - offset] as const),
  );
  return Object.freeze({ name: `grid${opts.side * opts.side}`, means: Object.freeze(means), std: opts.std });
}

function checkMixtureOptions(count: number, std: number): void {
  if (!Number.isSafeInteger(count) || count < 1) throw new ValueError(`a mixture needs a positive integer number of modes, got ${count}`);
  if (!(std > 0) || !Number.isFinite(std)) throw new ValueError(`a mixture needs a positive finite std, got ${std}`);
}

export const ring8 = ringMixture({ modes: 8, radius: 2, std: 0.02 });
export const grid25 = gridMixture({ side: 5, spacing: 2, std: 0.05 });
export const grid100 = gridMixture({ side: 10, spacing: 2, std: 0.05 });

/** How many generated samples the papers evaluate. */
export const MODE_METRIC_SAMPLES = 2500;

/**
 * `n` points `[n, 2]` from the mixture: a uniformly drawn mode plus N(0, std²·I) noise. The key
 * is split in two (mode choice, noise); the same key gives the same points.
 */
export function sampleMixture(mixture: GaussianMixture, key: Key, n: number): Tensor {
  const [kMode, kNoise] = split(key, 2) as [Key, Key];
  const modes = randint(kMode, [n], 0, mixture.means.length);
  const noise = normal(kNoise, [n, 2], 0, mixture.std).data;
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const m = mixture.means[modes[i]!]!;
    out[2 * i] = m[0] + noise[2 * i]!;
    out[2 * i + 1] = m[1] + noise[2 * i + 1]!;
  }
  return tensor([n, 2], out);
}

export type ModeMetrics = Readonly<{
  /** Modes with at least `minCount` high-quality samples. */
  modesCovered: number;
  /** The number of modes K of the mixture. */
  modes: number;
  /** Fraction of samples within `threshold` std of their nearest mode. */
  highQualityFraction: number;
  /** KL(q ‖ uniform) of the high-quality samples' mode histogram q (log K when there are none). */
  klFromUniform: number;
  /** High-quality samples per mode. */
  counts: readonly number[];
}>;

export type ModeMetricOptions = Readonly<{
  /** Distance, in standard deviations, within which a sample is high quality (default 3). */
  threshold?: number;
  /** High-quality samples a mode needs to count as covered (default 1, as PacGAN's code). */
  minCount?: number;
}>;

/** The mode metrics of generated points `[n, 2]` against a mixture (rule above). */
export function modeMetrics(mixture: GaussianMixture, points: Tensor, opts: ModeMetricOptions = {}): ModeMetrics {
  checkOptions('modeMetrics', opts, { threshold: true, minCount: true });
  if (points.shape.length !== 2 || points.shape[1] !== 2) throw new ShapeError('mode metrics need points [n, 2]', { points: points.shape });
  const threshold = opts.threshold ?? 3;
  const minCount = opts.minCount ?? 1;
  if (!(threshold > 0)) throw new ValueError(`threshold must be positive, got ${threshold}`);
  if (!Number.isSafeInteger(minCount) || minCount < 1) throw new ValueError(`minCount must be an integer >= 1, got ${minCount}`);
  const n = points.shape[0]!;
  const k = mixture.means.length;
  const counts = new Array<number>(k).fill(0);
  const radius2 = (threshold * mixture.std) ** 2;
  const p = points.data;
  for (let i = 0; i < n; i++) {
    const x = p[2 * i]!;
    const y = p[2 * i + 1]!;
    let best = -1;
    let bestD2 = Infinity;
    mixture.means.forEach(([mx, my], j) => {
      const d2 = (x - mx) ** 2 + (y - my) ** 2;
      if (d2 < bestD2) {
        bestD2 = d2;
        best = j;
      }
    });
    if (bestD2 < radius2) counts[best]! += 1;
  }
  const good = counts.reduce((a, b) => a + b, 0);
  const kl = good === 0 ? Math.log(k) : counts.reduce((s, c) => (c === 0 ? s : s + (c / good) * Math.log((k * c) / good)), 0);
  return Object.freeze({
    modesCovered: counts.filter((c) => c >= minCount).length,
    modes: k,
    highQualityFraction: n === 0 ? 0 : good / n,
    klFromUniform: kl,
    counts: Object.freeze(counts),
  });
}
