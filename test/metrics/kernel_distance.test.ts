import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key, normal, uniform } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { kernelDistance, kernelDistanceSubsets } from '../../src/metrics/kernel_distance.js';

const arbFeatures = (d: number): fc.Arbitrary<Tensor> =>
  fc.integer({ min: 2, max: 10 }).chain((rows) =>
    fc
      .array(fc.float({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), { minLength: rows * d, maxLength: rows * d })
      .map((xs) => tensor([rows, d], xs)),
  );

const shift = (x: Tensor, by: number): Tensor => tensor(x.shape, x.data.map((v) => v + by));

describe('kernelDistance', () => {
  it('equals the hand-computed unbiased MMD² of two 1-D pairs', () => {
    // a = {1, 0}, b = {0, 2}, d = 1, k(x, y) = (xy + 1)³:
    // k_aa(1, 0) = 1 → 2·1/(2·1) = 1; k_bb(0, 2) = 1 → 1; k_ab: 1 + 27 + 1 + 1 = 30 → 2·30/4 = 15.
    assert.equal(kernelDistance(tensor([2, 1], [1, 0]), tensor([2, 1], [0, 2])), 1 + 1 - 15);
  });

  it('uses k(x, y) = (xᵀy/d + 1)³ with d the feature width', () => {
    // a = {(1, 1), (0, 0)}, b = {(0, 0), (2, 0)}, d = 2:
    // k_aa((1,1),(0,0)) = 1 → 1; k_bb((0,0),(2,0)) = 1 → 1;
    // k_ab: (1)·… = ((1,1)·(0,0)/2 + 1)³ = 1, ((1,1)·(2,0)/2 + 1)³ = 8, 1, 1 → 11 → 2·11/4 = 5.5.
    assert.equal(kernelDistance(tensor([2, 2], [1, 1, 0, 0]), tensor([2, 2], [0, 0, 2, 0])), 1 + 1 - 5.5);
  });

  it('is symmetric in its two arguments', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((d) => fc.tuple(arbFeatures(d), arbFeatures(d))), ([a, b]) => {
        const ab = kernelDistance(a, b);
        assert.ok(Math.abs(ab - kernelDistance(b, a)) <= 1e-12 * Math.max(1, Math.abs(ab)));
      }),
    );
  });

  it('averages to about 0 over independent draws from one distribution (unbiased at n = 8)', () => {
    let total = 0;
    const draws = 1000;
    for (let i = 0; i < draws; i++) total += kernelDistance(uniform(key(2 * i), [8, 3], -1, 1), uniform(key(2 * i + 1), [8, 3], -1, 1));
    // Per draw the spread is about 0.22 (standard error of the mean 0.007); the biased
    // V-statistic (diagonal terms kept) averages about 0.33 on the same draws.
    assert.ok(Math.abs(total / draws) < 0.03, `mean KID over draws ${total / draws}`);
  });

  it('grows as one set moves away from the other', () => {
    const a = normal(key(5), [40, 3]);
    const b = normal(key(6), [40, 3]);
    const near = kernelDistance(a, shift(b, 0.5));
    const far = kernelDistance(a, shift(b, 2));
    assert.ok(far > near && near > kernelDistance(a, b), `${kernelDistance(a, b)}, ${near}, ${far}`);
  });

  it('rejects sets of different widths or with one sample', () => {
    assert.throws(() => kernelDistance(normal(key(1), [4, 2]), normal(key(2), [4, 3])), ShapeError);
    assert.throws(() => kernelDistance(normal(key(1), [1, 2]), normal(key(2), [4, 2])), ValueError);
  });
});

describe('kernelDistanceSubsets', () => {
  it('equals the whole-set value when one subset holds every row', () => {
    const a = normal(key(1), [12, 3]);
    const b = normal(key(2), [12, 3]);
    const r = kernelDistanceSubsets(a, b, { key: key(0), subsets: 1, subsetSize: 12 });
    assert.ok(Math.abs(r.mean - kernelDistance(a, b)) < 1e-12);
    assert.equal(r.std, 0);
  });

  it('rejects a subset larger than a set', () => {
    assert.throws(() => kernelDistanceSubsets(normal(key(1), [5, 2]), normal(key(2), [9, 2]), { key: key(0), subsetSize: 6 }), ValueError);
  });
});
