import { ShapeError, ValueError } from '../core/errors.js';

/**
 * The minimum-cost assignment of a square cost matrix `cost` `[n, n]` (row-major, finite
 * numbers): the permutation σ minimising Σ_i cost[i, σ(i)], by the Hungarian algorithm
 * (Kuhn–Munkres with row and column potentials and shortest augmenting paths, O(n³)).
 * Returns σ as `assigned[i]` = the column of row i, and the total cost. Computed in float64.
 */
export function minCostAssignment(cost: ArrayLike<number>, n: number): Readonly<{ assigned: Int32Array; total: number }> {
  if (!Number.isInteger(n) || n < 1 || cost.length !== n * n) {
    throw new ShapeError(`minCostAssignment needs a square cost matrix [n, n] with n >= 1: got ${cost.length} values for n = ${n}`, { cost: [cost.length] });
  }
  for (let i = 0; i < cost.length; i++) {
    if (!Number.isFinite(cost[i]!)) throw new ValueError(`cost[${Math.floor(i / n)}, ${i % n}] is ${cost[i]}: costs must be finite numbers`);
  }
  // 1-based potentials u (rows), v (columns); rowOf[j] = the row matched to column j (0: none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOf = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    rowOf[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(Infinity);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = rowOf[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const reduced = cost[(i0 - 1) * n + (j - 1)]! - u[i0]! - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[rowOf[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (rowOf[j0] !== 0);
    do {
      const j1 = way[j0]!;
      rowOf[j0] = rowOf[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const assigned = new Int32Array(n);
  for (let j = 1; j <= n; j++) assigned[rowOf[j]! - 1] = j - 1;
  let total = 0;
  for (let i = 0; i < n; i++) total += cost[i * n + assigned[i]!]!;
  return { assigned, total };
}
