import { ShapeError, ValueError } from '../core/errors.js';
import { tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';
import { matmul } from '../ops/linalg.js';
import type { Matrix64 } from './linalg.js';

/** A block of rows of the distance matrix: `values` `[rows, cols]` row-major, for rows `start … start + rows − 1` of `a`. */
export type DistanceBlock = Readonly<{ start: number; rows: number; cols: number; values: Float64Array }>;

export type PairwiseDistanceOptions = Readonly<{
  a: Matrix64;
  b: Matrix64;
  /** Rows of `a` per block (default 512): a block holds rows·b.rows float64 values. */
  blockRows?: number;
}>;

const rowNorms = (m: Matrix64): Float64Array => {
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let s = 0;
    for (let k = 0; k < m.cols; k++) s += m.data[i * m.cols + k]! ** 2;
    out[i] = s;
  }
  return out;
};

/**
 * Squared Euclidean distances between the rows of a `[m, d]` and b `[n, d]`, handed to `visit`
 * one block of rows at a time (so memory stays at blockRows·n values whatever m is):
 *
 *     D_ij = ‖aᵢ‖² + ‖bⱼ‖² − 2 aᵢ·bⱼ,   clamped at 0
 *
 * The norms are float64; the inner products A·Bᵀ are one float32 GEMM per block on the
 * current backend (`matmul`), widened to float64. The GEMM's rounding bounds the error:
 * |D_ij − Σ(aᵢₖ − bⱼₖ)²| ≤ (d + 2)·2⁻²³·‖aᵢ‖‖bⱼ‖ (the float32 dot product of d terms plus the
 * rounding of its inputs), about 1e−5·(‖aᵢ‖² + ‖bⱼ‖²) at d = 128; so equal rows give a
 * distance of that order rather than exactly 0.
 */
export function forEachDistanceBlock(opts: PairwiseDistanceOptions, visit: (block: DistanceBlock) => void): void {
  const { a, b } = opts;
  if (a.cols !== b.cols) throw new ShapeError(`pairwise distances need rows of the same width, got d = ${a.cols} and d = ${b.cols}`);
  const blockRows = opts.blockRows ?? 512;
  if (!(Number.isInteger(blockRows) && blockRows >= 1)) throw new ValueError(`blockRows must be a positive integer, got ${blockRows}`);
  const d = a.cols;
  const na = rowNorms(a);
  const nb = rowNorms(b);
  const bt = tensor([b.rows, d], Float32Array.from(b.data));
  for (let start = 0; start < a.rows; start += blockRows) {
    const rows = Math.min(blockRows, a.rows - start);
    const ab = tensor([rows, d], Float32Array.from(a.data.subarray(start * d, (start + rows) * d)));
    const dots = concrete(matmul(ab, bt, { transB: true })).data;
    const values = new Float64Array(rows * b.rows);
    for (let i = 0; i < rows; i++) {
      const ni = na[start + i]!;
      for (let j = 0; j < b.rows; j++) {
        const v = ni + nb[j]! - 2 * dots[i * b.rows + j]!;
        values[i * b.rows + j] = v > 0 ? v : 0;
      }
    }
    visit({ start, rows, cols: b.rows, values });
  }
}

/** The whole `[m, n]` matrix of `forEachDistanceBlock` (for small sets and tests). */
export function pairwiseSquaredDistances(opts: PairwiseDistanceOptions): Float64Array {
  const { a, b } = opts;
  const out = new Float64Array(a.rows * b.rows);
  forEachDistanceBlock(opts, (blk) => out.set(blk.values, blk.start * b.rows));
  return out;
}
