import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { matmulSquare, meanAndCovariance, psdSqrt, symmetricEigen, toMatrix64 } from '../../src/metrics/linalg.js';

/** A random symmetric n×n matrix with entries in [−5, 5]. */
const arbSymmetric = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((xs) => {
    const a = Float64Array.from(xs);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
    return { n, a };
  }),
);

/** BᵀB-style PSD matrix of rank ≤ r: the Gram matrix of r random vectors of length n. */
const arbPsd = fc.record({ n: fc.integer({ min: 1, max: 10 }), r: fc.integer({ min: 1, max: 10 }) }).chain(({ n, r }) =>
  fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n * r, maxLength: n * r }).map((xs) => {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < r; k++) a[i * n + j]! += xs[k * n + i]! * xs[k * n + j]!;
    return { n, a };
  }),
);

const frobenius = (a: Float64Array): number => Math.sqrt(a.reduce((s, v) => s + v * v, 0));

describe('symmetricEigen', () => {
  it('reconstructs the matrix as V diag(λ) Vᵀ', () => {
    fc.assert(
      fc.property(arbSymmetric, ({ n, a }) => {
        const { values, vectors } = symmetricEigen(a, n);
        const scale = Math.max(frobenius(a), 1);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
            assert.ok(Math.abs(s - a[i * n + j]!) <= 1e-12 * scale, `entry ${i},${j}: ${s} vs ${a[i * n + j]}`);
          }
        }
      }),
    );
  });

  it('returns orthonormal eigenvectors', () => {
    fc.assert(
      fc.property(arbSymmetric, ({ n, a }) => {
        const { vectors } = symmetricEigen(a, n);
        for (let p = 0; p < n; p++) {
          for (let q = 0; q < n; q++) {
            let s = 0;
            for (let k = 0; k < n; k++) s += vectors[k * n + p]! * vectors[k * n + q]!;
            assert.ok(Math.abs(s - (p === q ? 1 : 0)) <= 1e-12);
          }
        }
      }),
    );
  });

  it('returns the eigenvalues in descending order, summing to the trace', () => {
    fc.assert(
      fc.property(arbSymmetric, ({ n, a }) => {
        const { values } = symmetricEigen(a, n);
        for (let i = 1; i < n; i++) assert.ok(values[i - 1]! >= values[i]!);
        let trace = 0;
        for (let i = 0; i < n; i++) trace += a[i * n + i]!;
        assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) - trace) <= 1e-12 * Math.max(frobenius(a), 1));
      }),
    );
  });

  it('finds the hand-computed eigenvalues 3 and 1 of [[2, 1], [1, 2]]', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    assert.deepEqual(Array.from(values, (v) => Math.round(v * 1e12) / 1e12), [3, 1]);
    assert.ok(Math.abs(Math.abs(vectors[0]!) - Math.SQRT1_2) < 1e-12);
  });

  it('rejects a matrix whose length is not n²', () => {
    assert.throws(() => symmetricEigen(new Float64Array(5), 2), ShapeError);
  });
});

describe('psdSqrt', () => {
  it('returns a symmetric S with S·S = A for PSD matrices of any rank', () => {
    fc.assert(
      fc.property(arbPsd, ({ n, a }) => {
        const s = psdSqrt(a, n);
        const ss = matmulSquare(s, s, n);
        const scale = Math.max(frobenius(a), 1);
        for (let i = 0; i < n * n; i++) assert.ok(Math.abs(ss[i]! - a[i]!) <= 1e-10 * scale, `entry ${i}: ${ss[i]} vs ${a[i]}`);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.equal(s[i * n + j], s[j * n + i]);
      }),
    );
  });

  it('stays finite on a rank-one matrix (zero eigenvalues clamped, not NaN)', () => {
    const a = Float64Array.of(1, 2, 3, 2, 4, 6, 3, 6, 9);
    const s = psdSqrt(a, 3);
    assert.ok(s.every(Number.isFinite));
    // √(vvᵀ) = vvᵀ/‖v‖ for v = (1, 2, 3), ‖v‖ = √14.
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(s[i]! - a[i]! / Math.sqrt(14)) < 1e-12);
  });
});

describe('meanAndCovariance', () => {
  it('matches the hand-computed mean and unbiased covariance of three points', () => {
    // Points (0, 0), (2, 0), (1, 3): mean (1, 1); deviations (−1, −1), (1, −1), (0, 2).
    const { mean, cov } = meanAndCovariance(toMatrix64(tensor([3, 2], [0, 0, 2, 0, 1, 3]), 'x'));
    assert.deepEqual(Array.from(mean), [1, 1]);
    assert.deepEqual(Array.from(cov), [1, 0, 0, 3]);
  });

  it('is unaffected by a large common offset (two-pass, no catastrophic cancellation)', () => {
    const small = [0.25, -0.5, 0.75, 0.125, -0.25, 0.5];
    const shifted = { rows: 3, cols: 2, data: Float64Array.from(small, (v) => v + 1e9) };
    const a = meanAndCovariance({ rows: 3, cols: 2, data: Float64Array.from(small) });
    const b = meanAndCovariance(shifted);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(a.cov[i]! - b.cov[i]!) < 1e-6, `cov ${i}: ${a.cov[i]} vs ${b.cov[i]}`);
  });

  it('rejects fewer than two samples', () => {
    assert.throws(() => meanAndCovariance({ rows: 1, cols: 2, data: new Float64Array(2) }), ValueError);
  });
});

describe('toMatrix64', () => {
  it('rejects a tensor that is not [n, d]', () => {
    assert.throws(() => toMatrix64(tensor([2, 2, 2], new Float32Array(8)), 'features'), ShapeError);
  });

  it('rejects non-finite features, naming the row', () => {
    assert.throws(() => toMatrix64(tensor([2, 2], [0, 1, NaN, 2]), 'features'), /row 1/);
  });
});
