import { ShapeError, ValueError } from '../core/errors.js';
import { permutation, split, type Key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { toMatrix64, type Matrix64 } from './linalg.js';

/** The polynomial kernel k(x, y) = (γ xᵀy + c₀)^degree; torch-fidelity's KID defaults. */
export type PolynomialKernel = Readonly<{ degree?: number; gamma?: number; coef0?: number }>;

/** Σ k(xᵢ, yⱼ) over all pairs, or over i ≠ j when y is x (`within`: each pair once, doubled). */
function kernelSum(opts: { x: Matrix64; y: Matrix64; kernel: Required<PolynomialKernel>; within: boolean }): number {
  const { x, y, kernel, within } = opts;
  const d = x.cols;
  let total = 0;
  for (let i = 0; i < x.rows; i++) {
    for (let j = within ? i + 1 : 0; j < y.rows; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x.data[i * d + k]! * y.data[j * d + k]!;
      total += (kernel.gamma * dot + kernel.coef0) ** kernel.degree;
    }
  }
  return within ? 2 * total : total;
}

function resolve(a: Matrix64, b: Matrix64, kernel: PolynomialKernel): Required<PolynomialKernel> {
  if (a.cols !== b.cols) throw new ShapeError(`kernelDistance needs features of the same width, got d = ${a.cols} and d = ${b.cols}`);
  if (a.rows < 2 || b.rows < 2) throw new ValueError(`kernelDistance needs at least 2 samples in each set, got ${a.rows} and ${b.rows}`);
  return { degree: kernel.degree ?? 3, gamma: kernel.gamma ?? 1 / a.cols, coef0: kernel.coef0 ?? 1 };
}

/**
 * Kernel distance (KID): the unbiased estimate of the squared maximum mean discrepancy
 * between feature sets a `[m, d]` and b `[n, d]` under k(x, y) = (xᵀy/d + 1)³ (Bińkowski et
 * al. 2018; torch-fidelity's kernel), on the whole sets:
 *
 *     MMD²ᵤ = Σ_{i≠j} k(aᵢ, aⱼ) / (m(m − 1)) + Σ_{i≠j} k(bᵢ, bⱼ) / (n(n − 1)) − 2 Σ_{i,j} k(aᵢ, bⱼ) / (mn)
 *
 * Unbiased at any sample count (its mean over draws is the population MMD², 0 for equal
 * distributions), so a single value can be slightly negative.
 */
export function kernelDistance(a: Tensor | Matrix64, b: Tensor | Matrix64, kernel: PolynomialKernel = {}): number {
  const x = toMatrix64(a, 'a');
  const y = toMatrix64(b, 'b');
  const k = resolve(x, y, kernel);
  const m = x.rows;
  const n = y.rows;
  const kxx = kernelSum({ x, y: x, kernel: k, within: true });
  const kyy = kernelSum({ x: y, y, kernel: k, within: true });
  const kxy = kernelSum({ x, y, kernel: k, within: false });
  return kxx / (m * (m - 1)) + kyy / (n * (n - 1)) - (2 * kxy) / (m * n);
}

export type KernelDistanceSubsetOptions = PolynomialKernel &
  Readonly<{ key: Key; subsets?: number; subsetSize?: number }>;

/**
 * torch-fidelity's subset KID: the mean and standard deviation of `kernelDistance` over
 * `subsets` (default 100) random subsets of `subsetSize` rows (default min(1000, m, n)) drawn
 * without replacement from each set.
 */
export function kernelDistanceSubsets(a: Tensor | Matrix64, b: Tensor | Matrix64, opts: KernelDistanceSubsetOptions): { mean: number; std: number } {
  const x = toMatrix64(a, 'a');
  const y = toMatrix64(b, 'b');
  resolve(x, y, opts);
  const count = opts.subsets ?? 100;
  const size = opts.subsetSize ?? Math.min(1000, x.rows, y.rows);
  if (!(Number.isInteger(count) && count >= 1)) throw new ValueError(`subsets must be a positive integer, got ${count}`);
  if (!(Number.isInteger(size) && size >= 2 && size <= Math.min(x.rows, y.rows))) {
    throw new ValueError(`subsetSize must be an integer in [2, ${Math.min(x.rows, y.rows)}], got ${size}`);
  }
  const pick = (m: Matrix64, k: Key): Matrix64 => {
    const idx = permutation(k, m.rows).subarray(0, size);
    const data = new Float64Array(size * m.cols);
    idx.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
    return { rows: size, cols: m.cols, data };
  };
  const values = split(opts.key, count).map((k) => {
    const [ka, kb] = split(k);
    return kernelDistance(pick(x, ka!), pick(y, kb!), opts);
  });
  const mean = values.reduce((s, v) => s + v, 0) / count;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / count);
  return { mean, std };
}
