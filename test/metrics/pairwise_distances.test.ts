import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShapeError } from '../../src/core/errors.js';
import type { Matrix64 } from '../../src/metrics/linalg.js';
import { forEachDistanceBlock, pairwiseSquaredDistances } from '../../src/metrics/pairwise_distances.js';
import { forEachBackend } from '../helpers/backends.js';
import { mulberry } from '../helpers/seeded.js';

/** A `[rows, cols]` matrix of values offset + scale·(uniform − ½), drawn from `seed`. */
function matrix(seed: number, rows: number, cols: number, scale = 4, offset = 0): Matrix64 {
  const r = mulberry(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, () => offset + scale * (r() - 0.5)) };
}

/** Σₖ(aᵢₖ − bⱼₖ)² in float64, the oracle. */
function naive(a: Matrix64, b: Matrix64): Float64Array {
  const out = new Float64Array(a.rows * b.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let k = 0; k < a.cols; k++) s += (a.data[i * a.cols + k]! - b.data[j * a.cols + k]!) ** 2;
      out[i * b.rows + j] = s;
    }
  }
  return out;
}

const norm2 = (m: Matrix64, i: number): number => {
  let s = 0;
  for (let k = 0; k < m.cols; k++) s += m.data[i * m.cols + k]! ** 2;
  return s;
};

forEachBackend(() => {
  it('matches the float64 Σ(a − b)² within (d + 2)·2⁻²³·‖a‖‖b‖ for any shapes and blocks', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 130 }), fc.integer({ min: 1, max: 50 }), (seed, m, n, d, blockRows) => {
        const a = matrix(seed, m, d);
        const b = matrix(seed + 1, n, d, 4, 1);
        const got = pairwiseSquaredDistances({ a, b, blockRows });
        const want = naive(a, b);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const tol = (d + 2) * 2 ** -23 * Math.sqrt(norm2(a, i) * norm2(b, j)) + 1e-12;
            const err = Math.abs(got[i * n + j]! - want[i * n + j]!);
            assert.ok(err <= tol, `D[${i}, ${j}] = ${got[i * n + j]}, want ${want[i * n + j]} (|error| ${err} > ${tol})`);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('is never negative, even between a row and itself far from the origin', () => {
    const a = matrix(3, 30, 64, 0.01, 100);
    for (const v of pairwiseSquaredDistances({ a, b: a })) assert.ok(v >= 0, `distance ${v}`);
  });

  it('visits every row of a exactly once, in blocks of at most blockRows', () => {
    const seen: number[] = [];
    forEachDistanceBlock({ a: matrix(1, 23, 3), b: matrix(2, 5, 3), blockRows: 7 }, ({ start, rows, cols, values }) => {
      assert.ok(rows <= 7);
      assert.equal(cols, 5);
      assert.equal(values.length, rows * 5);
      for (let r = 0; r < rows; r++) seen.push(start + r);
    });
    assert.deepEqual(seen, Array.from({ length: 23 }, (_, i) => i));
  });
});

it('rejects rows of different widths with a ShapeError', () => {
  assert.throws(() => pairwiseSquaredDistances({ a: matrix(1, 2, 3), b: matrix(2, 2, 4) }), ShapeError);
});
