import { ShapeError, ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { kthSmallest } from './kth_smallest.js';
import { toMatrix64, type Matrix64 } from './linalg.js';
import { forEachDistanceBlock } from './pairwise_distances.js';

/**
 * Squared radius of each row's k-NN ball within its own set: the k-th smallest squared
 * distance to the *other* rows (the row itself excluded, as Kynkäänniemi et al. do by taking
 * the (k+1)-th including the zero self-distance), by partial selection on each row of the
 * GEMM distance blocks.
 */
function kthNeighbourRadii(x: Matrix64, k: number): Float64Array {
  const n = x.rows;
  const radii = new Float64Array(n);
  const row = new Float64Array(n - 1);
  forEachDistanceBlock({ a: x, b: x }, ({ start, rows, values }) => {
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      let w = 0;
      for (let j = 0; j < n; j++) if (j !== i) row[w++] = values[r * n + j]!;
      radii[i] = kthSmallest(row, { k });
    }
  });
  return radii;
}

/** Fraction of the rows of `query` inside at least one ball (centre row of `manifold`, radius²). */
function fractionInside(query: Matrix64, manifold: Matrix64, radii: Float64Array): number {
  const m = manifold.rows;
  let inside = 0;
  forEachDistanceBlock({ a: query, b: manifold }, ({ rows, values }) => {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        if (values[r * m + j]! <= radii[j]!) {
          inside++;
          break;
        }
      }
    }
  });
  return inside / query.rows;
}

export type PrecisionRecall = Readonly<{ precision: number; recall: number }>;

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) of generated features `fake`
 * `[m, d]` against real features `real` `[n, d]`. Each set's manifold is the union of balls
 * around its samples, each with the radius of that sample's k-th nearest neighbour in the
 * same set (default k = 3). Precision = the fraction of fake samples inside the real manifold
 * (sample quality); recall = the fraction of real samples inside the fake manifold (coverage:
 * a missing mode lowers recall, not precision).
 *
 * Distances come from the backend's float32 GEMM (`forEachDistanceBlock`), so a sample within
 * about 1e−5·(‖a‖² + ‖b‖²) of a ball's boundary may fall on either side of it.
 */
export function precisionRecall(real: Tensor | Matrix64, fake: Tensor | Matrix64, opts: Readonly<{ k?: number }> = {}): PrecisionRecall {
  const r = toMatrix64(real, 'real');
  const f = toMatrix64(fake, 'fake');
  const k = opts.k ?? 3;
  if (r.cols !== f.cols) throw new ShapeError(`precisionRecall needs features of the same width, got d = ${r.cols} and d = ${f.cols}`);
  if (!(Number.isInteger(k) && k >= 1)) throw new ValueError(`k must be a positive integer, got ${k}`);
  if (r.rows <= k || f.rows <= k) throw new ValueError(`precisionRecall with k = ${k} needs more than ${k} samples in each set, got ${r.rows} real and ${f.rows} fake`);
  return {
    precision: fractionInside(f, r, kthNeighbourRadii(r, k)),
    recall: fractionInside(r, f, kthNeighbourRadii(f, k)),
  };
}
