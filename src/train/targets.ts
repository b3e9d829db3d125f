import { bernoulli, split, uniform, type Key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { add, mul, neg, softplus, sub, where } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';

/**
 * Mean BCE of logits `[M, 1]` (or `[M]`) against per-sample targets t `[M]` in [0, 1]:
 * mean t·softplus(−x) + (1 − t)·softplus(x).
 */
export function bceWithTargets(logits: Tensor, targets: Tensor): Tensor {
  const t = reshape(targets, logits.shape);
  return mean(add(mul(softplus(neg(logits)), t), mul(softplus(logits), sub(1, t))));
}

/** Per-sample D-step targets for the real and the fake batch, `[M]` each. */
export type Targets = Readonly<{ real: Tensor; fake: Tensor }>;

/**
 * Draws per-sample targets for m D outputs (host computations on the key): real ~ U(real range),
 * fake ~ U(fake range) (the ranges default to [1, 1] and [0, 0]); then, with probability p per
 * sample and independently for the two batches, the target is swapped for the other side's.
 */
export function drawTargets(
  key: Key,
  m: number,
  opts: Readonly<{ real?: readonly [number, number]; fake?: readonly [number, number]; flip?: number }>,
): Targets {
  const [kr, kf, kfr, kff, kxr, kxf] = split(key, 6) as [Key, Key, Key, Key, Key, Key];
  const [rl, rh] = opts.real ?? [1, 1];
  const [fl, fh] = opts.fake ?? [0, 0];
  const real = uniform(kr, [m], rl, rh);
  const fake = uniform(kf, [m], fl, fh);
  const p = opts.flip ?? 0;
  if (p === 0) return { real, fake };
  return {
    real: where(bernoulli(kxr, p, [m]), uniform(kfr, [m], fl, fh), real),
    fake: where(bernoulli(kxf, p, [m]), uniform(kff, [m], rl, rh), fake),
  };
}
