import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key, normal } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ShapeError } from '../../src/core/errors.js';
import { frechetDistance, gaussianStats, traceSqrtProduct, type GaussianStats } from '../../src/metrics/frechet.js';

/** A feature matrix [n, d] with entries in [−3, 3]. */
const arbFeatures = (n: fc.Arbitrary<number>, d: number): fc.Arbitrary<Tensor> =>
  n.chain((rows) =>
    fc
      .array(fc.float({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }), { minLength: rows * d, maxLength: rows * d })
      .map((xs) => tensor([rows, d], xs)),
  );

const arbPair = fc.integer({ min: 1, max: 6 }).chain((d) =>
  fc.tuple(arbFeatures(fc.integer({ min: 2, max: 12 }), d), arbFeatures(fc.integer({ min: 2, max: 12 }), d)),
);

/** A random d×d orthogonal matrix Q (Gram–Schmidt on random vectors, float64). */
function orthogonal(d: number, seed: number): Float64Array {
  const g = normal(key(seed), [d, d]).data;
  const q = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let r = 0; r < d; r++) q[r * d + c] = g[r * d + c]!;
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let r = 0; r < d; r++) dot += q[r * d + c]! * q[r * d + p]!;
      for (let r = 0; r < d; r++) q[r * d + c]! -= dot * q[r * d + p]!;
    }
    let norm = 0;
    for (let r = 0; r < d; r++) norm += q[r * d + c]! ** 2;
    for (let r = 0; r < d; r++) q[r * d + c]! /= Math.sqrt(norm);
  }
  return q;
}

/** Σ = Q diag(λ) Qᵀ. */
function rotated(q: Float64Array, lambda: readonly number[]): Float64Array {
  const d = lambda.length;
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) s[i * d + j]! += q[i * d + k]! * lambda[k]! * q[j * d + k]!;
  return s;
}

const stats = (mean: readonly number[], cov: Float64Array): GaussianStats => ({ dim: mean.length, count: 100, mean: Float64Array.from(mean), cov });

/**
 * Two Gaussians whose covariances share eigenvectors Q (Σᵢ = Q diag(λᵢ) Qᵀ, commuting, so
 * √(Σ₁Σ₂) = Q diag(√(λ₁λ₂)) Qᵀ) with zero eigenvalues allowed: FD has the closed form
 * ‖μ₁ − μ₂‖² + Σₖ (√λ₁ₖ − √λ₂ₖ)².
 */
const arbCommutingGaussians = fc.integer({ min: 1, max: 8 }).chain((d) =>
  fc.record({
    d: fc.constant(d),
    seed: fc.integer({ min: 0, max: 1e6 }),
    mu1: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: d, maxLength: d }),
    mu2: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: d, maxLength: d }),
    l1: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 9, noNaN: true })), { minLength: d, maxLength: d }),
    l2: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 9, noNaN: true })), { minLength: d, maxLength: d }),
  }),
);

describe('frechetDistance', () => {
  it('is 0 between a feature set and itself', () => {
    fc.assert(
      fc.property(arbFeatures(fc.integer({ min: 2, max: 20 }), 5), (x) => {
        const fd = frechetDistance(x, x);
        assert.ok(fd >= 0 && fd < 1e-9, `FD(X, X) = ${fd}`);
      }),
    );
  });

  it('is symmetric in its two arguments', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        const ab = frechetDistance(a, b);
        const ba = frechetDistance(b, a);
        assert.ok(Math.abs(ab - ba) <= 1e-9 * Math.max(1, ab), `${ab} vs ${ba}`);
      }),
    );
  });

  it('is non-negative and finite, also when both covariances are singular (n ≤ d)', () => {
    fc.assert(
      fc.property(arbPair, ([a, b]) => {
        const fd = frechetDistance(a, b);
        assert.ok(Number.isFinite(fd) && fd >= 0, `FD = ${fd}`);
      }),
    );
  });

  it('equals the closed form for Gaussians with commuting covariances', () => {
    fc.assert(
      fc.property(arbCommutingGaussians, ({ d, seed, mu1, mu2, l1, l2 }) => {
        const q = orthogonal(d, seed);
        const fd = frechetDistance(stats(mu1, rotated(q, l1)), stats(mu2, rotated(q, l2)));
        let expected = 0;
        for (let k = 0; k < d; k++) expected += (mu1[k]! - mu2[k]!) ** 2 + (Math.sqrt(l1[k]!) - Math.sqrt(l2[k]!)) ** 2;
        assert.ok(Math.abs(fd - expected) <= 1e-6 * Math.max(1, expected), `FD ${fd} vs closed form ${expected}`);
      }),
    );
  });

  it('equals the hand-computed value for two diagonal Gaussians', () => {
    // μ₁ = (0, 0), Σ₁ = diag(1, 4); μ₂ = (3, 4), Σ₂ = diag(9, 16):
    // 25 + (1 + 4) + (9 + 16) − 2(√9 + √64) = 25 + 30 − 22 = 33.
    const fd = frechetDistance(stats([0, 0], Float64Array.of(1, 0, 0, 4)), stats([3, 4], Float64Array.of(9, 0, 0, 16)));
    assert.ok(Math.abs(fd - 33) < 1e-12, `FD = ${fd}`);
  });

  it('reduces to the squared mean difference for sets that differ by a shift', () => {
    const x = normal(key(3), [50, 4]);
    const shifted = tensor(x.shape, x.data.map((v, i) => v + (i % 4 === 1 ? 2 : 0)));
    assert.ok(Math.abs(frechetDistance(x, shifted) - 4) < 1e-5);
  });

  it('gives the same value from precomputed statistics as from the features', () => {
    const a = normal(key(1), [30, 3]);
    const b = normal(key(2), [40, 3]);
    assert.equal(frechetDistance(gaussianStats(a), gaussianStats(b)), frechetDistance(a, b));
  });

  it('rejects feature sets of different widths', () => {
    assert.throws(() => frechetDistance(normal(key(1), [5, 3]), normal(key(2), [5, 4])), ShapeError);
  });
});

describe('traceSqrtProduct', () => {
  it('is tr Σ for Σ₁ = Σ₂ = Σ', () => {
    const q = orthogonal(4, 9);
    const s = rotated(q, [4, 1, 0.25, 0]);
    assert.ok(Math.abs(traceSqrtProduct(s, s, 4) - 5.25) < 1e-12);
  });
});
