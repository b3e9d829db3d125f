/**
 * Float64 dense linear algebra for the metrics: feature matrices, covariances and symmetric
 * eigendecompositions. Matrices are row-major `Float64Array`s; `Matrix64` carries the shape.
 * Pure TypeScript, no backend: FD and KID need float64 accuracy that the float32 kernels lack.
 */
import { ShapeError, ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/** A row-major float64 matrix `[rows, cols]`. */
export type Matrix64 = Readonly<{ rows: number; cols: number; data: Float64Array }>;

/** A feature matrix `[n, d]` (float32 tensor) → float64, checking rank and finiteness. */
export function toMatrix64(x: Tensor | Matrix64, what: string): Matrix64 {
  if ('rows' in x) return x;
  if (x.shape.length !== 2) throw new ShapeError(`${what} must be a feature matrix [n, d]`, { [what]: x.shape });
  const [rows, cols] = x.shape as [number, number];
  const data = Float64Array.from(x.data);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new ValueError(`${what} has a non-finite value ${data[i]} at row ${Math.floor(i / cols)}`);
  }
  return { rows, cols, data };
}

/**
 * Mean `[d]` and unbiased covariance `[d, d]` (divisor n − 1) of the rows of x `[n, d]`.
 * Two-pass: the mean, then a correction μ += Σ(xᵢ − μ)/n that removes the first pass's
 * rounding, then Σ = Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ / (n − 1) on the centred rows, so a large common
 * offset does not cancel catastrophically as in Σxxᵀ/n − μμᵀ.
 */
export function meanAndCovariance(x: Matrix64): { mean: Float64Array; cov: Float64Array } {
  const { rows: n, cols: d, data } = x;
  if (n < 2) throw new ValueError(`a covariance needs at least 2 samples, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const fix = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) fix[j]! += data[i * d + j]! - mean[j]!;
  for (let j = 0; j < d; j++) mean[j]! += fix[j]! / n;
  const centred = new Float64Array(d);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = data[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

/** C = A·B for square `[n, n]` matrices. */
export function matmulSquare(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j]! += aik * b[k * n + j]!;
    }
  }
  return c;
}

export type SymmetricEigen = Readonly<{
  /** Eigenvalues λ `[n]`, in descending order. */
  values: Float64Array;
  /** Eigenvectors as columns, row-major `[n, n]`: A = V diag(λ) Vᵀ. */
  vectors: Float64Array;
}>;

/**
 * Eigendecomposition of a symmetric `[n, n]` matrix by cyclic Jacobi: sweeps of plane
 * rotations J(p, q, θ) with tan θ = t, t the smaller root of t² + 2ζt − 1 = 0 for
 * ζ = (a_qq − a_pp)/(2a_pq), each zeroing a_pq; stops when the off-diagonal Frobenius norm is
 * below 1e-15·‖A‖_F (quadratic convergence: about 6–10 sweeps). Accurate to about ε·‖A‖ in
 * every eigenvalue, including the zero ones of a singular covariance. Only the upper triangle
 * is trusted to be symmetric with the lower; the input is not modified.
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  if (matrix.length !== n * n) throw new ShapeError(`symmetricEigen expects an [n, n] matrix of ${n * n} values, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += a[i]! * a[i]!;
  const tol = 1e-30 * total;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * a[p * n + q]! * a[p * n + q]!;
    if (off <= tol || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const zeta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(zeta * zeta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) order.forEach((src, dst) => (vectors[r * n + dst] = v[r * n + src]!));
  return { values, vectors };
}

/**
 * The square root S of a symmetric positive semi-definite `[n, n]` matrix (S² = A, S
 * symmetric PSD): S = V diag(√max(λ, 0)) Vᵀ. Eigenvalues below zero can only come from
 * rounding (of order ε·‖A‖) and are clamped to 0, so a singular covariance gives a real,
 * finite root.
 */
export function psdSqrt(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const s = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const r = Math.sqrt(Math.max(values[k]!, 0));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * r;
      if (vik === 0) continue;
      for (let j = i; j < n; j++) s[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) s[i * n + j] = s[j * n + i]!;
  return s;
}

/**
 * The nuclear norm ‖A‖_* = Σᵢ σᵢ(A) of a square `[n, n]` matrix, by one-sided (Hestenes)
 * Jacobi: rotate pairs of columns until all are orthogonal (|aₚ·a_q| ≤ 1e-15‖aₚ‖‖a_q‖); the
 * singular values are then the column norms. Each σᵢ is accurate to about ε·‖A‖, where
 * taking √ of the eigenvalues of AᵀA would lose half the digits of the small ones.
 */
export function nuclearNorm(matrix: Float64Array, n: number): number {
  if (matrix.length !== n * n) throw new ShapeError(`nuclearNorm expects an [n, n] matrix of ${n * n} values, got ${matrix.length}`);
  const cols = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) cols[j * n + i] = matrix[i * n + j]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < n; k++) {
          const x = cols[p * n + k]!;
          const y = cols[q * n + k]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let k = 0; k < n; k++) {
          const x = cols[p * n + k]!;
          const y = cols[q * n + k]!;
          cols[p * n + k] = c * x - s * y;
          cols[q * n + k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  let total = 0;
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let k = 0; k < n; k++) norm += cols[j * n + k]! ** 2;
    total += Math.sqrt(norm);
  }
  return total;
}
