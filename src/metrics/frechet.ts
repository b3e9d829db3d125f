import { ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { matmulSquare, meanAndCovariance, nuclearNorm, psdSqrt, toMatrix64, type Matrix64 } from './linalg.js';

/** The Gaussian fitted to a feature set: mean `[d]`, unbiased covariance `[d, d]`, sample count. */
export type GaussianStats = Readonly<{ dim: number; count: number; mean: Float64Array; cov: Float64Array }>;

/** Fits the Gaussian of the Fréchet distance to features x `[n, d]` (float64, divisor n − 1). */
export function gaussianStats(x: Tensor | Matrix64): GaussianStats {
  const m = toMatrix64(x, 'features');
  const { mean, cov } = meanAndCovariance(m);
  return { dim: m.cols, count: m.rows, mean, cov };
}

const isStats = (x: Tensor | Matrix64 | GaussianStats): x is GaussianStats => 'cov' in x;

/**
 * tr √(Σ₁ Σ₂) for PSD Σ₁, Σ₂ `[d, d]`. Σ₁Σ₂ is similar to the symmetric PSD matrix
 * Σ₁^½ Σ₂ Σ₁^½ = AᵀA with A = Σ₂^½ Σ₁^½, so its eigenvalues are real and non-negative and
 * tr √(Σ₁Σ₂) = tr √(AᵀA) = Σᵢ σᵢ(A), the nuclear norm of A. The two square roots come from
 * symmetric eigendecompositions, eigenvalues below zero (rounding, present whenever a
 * covariance is singular, e.g. n ≤ d) clamped to 0 (`psdSqrt`); the singular values come from
 * one-sided Jacobi (`nuclearNorm`), which keeps FD(X, X) at rounding level where √ of the
 * eigenvalues of AᵀA would leave √ε·‖Σ‖. No complex arithmetic, no NaN.
 */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, d: number): number {
  return nuclearNorm(matmulSquare(psdSqrt(cov2, d), psdSqrt(cov1, d), d), d);
}

/**
 * Fréchet distance between the Gaussians fitted to two feature sets a `[n₁, d]`, b `[n₂, d]`
 * (or their precomputed `gaussianStats`), pytorch-fid's formula in float64:
 *
 *     FD = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁^½ Σ₂ Σ₁^½)
 *
 * The result is clamped at 0 (it is ≥ 0 exactly; rounding can leave −1e−13 for identical
 * sets). FD is biased upward at small n: compare values only at equal sample counts.
 */
export function frechetDistance(a: Tensor | Matrix64 | GaussianStats, b: Tensor | Matrix64 | GaussianStats): number {
  const s1 = isStats(a) ? a : gaussianStats(a);
  const s2 = isStats(b) ? b : gaussianStats(b);
  if (s1.dim !== s2.dim) throw new ShapeError(`frechetDistance needs features of the same width, got d = ${s1.dim} and d = ${s2.dim}`);
  const d = s1.dim;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (s1.mean[i]! - s2.mean[i]!) ** 2;
  let traces = 0;
  for (let i = 0; i < d; i++) traces += s1.cov[i * d + i]! + s2.cov[i * d + i]!;
  return Math.max(0, meanTerm + traces - 2 * traceSqrtProduct(s1.cov, s2.cov, d));
}
