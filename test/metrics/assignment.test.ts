import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { minCostAssignment } from '../../src/metrics/assignment.js';

/** The minimum of Σ_i cost[i, σ(i)] over all n! permutations σ (n ≤ 6). */
function bruteForceMinimum(cost: readonly number[], n: number): number {
  let best = Infinity;
  const perm = Array.from({ length: n }, (_, i) => i);
  const visit = (k: number): void => {
    if (k === n) {
      best = Math.min(best, perm.reduce((s, j, i) => s + cost[i * n + j]!, 0));
      return;
    }
    for (let i = k; i < n; i++) {
      [perm[k], perm[i]] = [perm[i]!, perm[k]!];
      visit(k + 1);
      [perm[k], perm[i]] = [perm[i]!, perm[k]!];
    }
  };
  visit(0);
  return best;
}

const squareCost = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.integer({ min: -50, max: 50 }), { minLength: n * n, maxLength: n * n })));

describe('minCostAssignment', () => {
  it('returns a permutation whose total is the brute-force minimum over all n! assignments', () => {
    fc.assert(
      fc.property(squareCost, ([n, cost]) => {
        const { assigned, total } = minCostAssignment(cost, n);
        assert.deepEqual([...assigned].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
        assert.equal(total, [...assigned].reduce((s, j, i) => s + cost[i * n + j]!, 0));
        assert.equal(total, bruteForceMinimum(cost, n));
      }),
      { numRuns: 200 },
    );
  });

  it('solves the hand-worked 3×3 case [[4, 1, 3], [2, 0, 5], [3, 2, 2]]: rows → columns 1, 0, 2, total 5', () => {
    const { assigned, total } = minCostAssignment([4, 1, 3, 2, 0, 5, 3, 2, 2], 3);
    assert.deepEqual([...assigned], [1, 0, 2]);
    assert.equal(total, 5);
  });

  it('rejects a matrix that is not [n, n] and a non-finite cost', () => {
    assert.throws(() => minCostAssignment([1, 2, 3], 2), ShapeError);
    assert.throws(() => minCostAssignment([], 0), ShapeError);
    assert.throws(() => minCostAssignment([0, NaN, 1, 2], 2), ValueError);
  });
});
