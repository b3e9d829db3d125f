import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ValueError } from '../../src/core/errors.js';
import { concat } from '../../src/ops/shape.js';
import { precisionRecall } from '../../src/metrics/precision_recall.js';
import { forEachBackend } from '../helpers/backends.js';

/** n points of a Gaussian blob of std 0.1 around `centre` in d dimensions. */
const blob = (seed: number, n: number, centre: readonly number[]): Tensor =>
  tensor([n, centre.length], normal(key(seed), [n, centre.length]).data.map((v, i) => centre[i % centre.length]! + 0.1 * v));

describe('precisionRecall', () => {
  it('is 1 and 1 for a set against itself', () => {
    const x = normal(key(1), [60, 4]);
    assert.deepEqual(precisionRecall(x, x), { precision: 1, recall: 1 });
  });

  it('is 0 and 0 for two far-apart sets', () => {
    assert.deepEqual(precisionRecall(blob(1, 50, [0, 0, 0]), blob(2, 50, [10, 10, 10])), { precision: 0, recall: 0 });
  });

  it('lowers recall, not precision, when a mode is missing', () => {
    const real = concat([blob(1, 100, [0, 0]), blob(2, 100, [5, 5])], 0);
    const fake = blob(3, 200, [0, 0]);
    const { precision, recall } = precisionRecall(real, fake);
    assert.ok(precision > 0.9, `precision ${precision}`);
    assert.ok(recall > 0.4 && recall <= 0.5, `recall ${recall}`);
  });

  it('lowers precision, not recall, when some samples are off the manifold', () => {
    const real = blob(1, 200, [0, 0]);
    const fake = concat([blob(2, 150, [0, 0]), blob(3, 50, [5, 5])], 0);
    const { precision, recall } = precisionRecall(real, fake);
    assert.ok(precision > 0.65 && precision <= 0.75, `precision ${precision}`);
    assert.ok(recall > 0.9, `recall ${recall}`);
  });

  it('matches a hand-computed 1-D case with k = 1', () => {
    // real {0, 1, 2}: 1-NN radii 1, 1, 1 → real manifold [−1, 3]. fake {2.5, 10}: radii 7.5, 7.5.
    // precision: 2.5 inside, 10 not → ½; recall: 0, 1, 2 all within 7.5 of 2.5 → 1.
    const r = precisionRecall(tensor([3, 1], [0, 1, 2]), tensor([2, 1], [2.5, 10]), { k: 1 });
    assert.deepEqual(r, { precision: 0.5, recall: 1 });
  });

  it('rejects sets with no more than k samples', () => {
    assert.throws(() => precisionRecall(normal(key(1), [3, 2]), normal(key(2), [10, 2])), ValueError);
  });
});

/** Precision and recall with float64 distances and a full sort: the implementation before the GEMM, as the oracle. */
function naivePrecisionRecall(real: Tensor, fake: Tensor, k: number): { precision: number; recall: number } {
  const d = real.shape[1]!;
  const dist = (x: Tensor, i: number, y: Tensor, j: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += (x.data[i * d + c]! - y.data[j * d + c]!) ** 2;
    return s;
  };
  const radii = (x: Tensor): number[] =>
    Array.from({ length: x.shape[0]! }, (_, i) => Array.from({ length: x.shape[0]! }, (_, j) => (j === i ? Infinity : dist(x, i, x, j))).sort((a, b) => a - b)[k - 1]!);
  const inside = (q: Tensor, m: Tensor, r: number[]): number =>
    Array.from({ length: q.shape[0]! }, (_, i) => r.some((rj, j) => dist(q, i, m, j) <= rj)).filter(Boolean).length / q.shape[0]!;
  return { precision: inside(fake, real, radii(real)), recall: inside(real, fake, radii(fake)) };
}

describe('precisionRecall with GEMM distances', () => {
  forEachBackend(() => {
    it('agrees with float64 distances and a full sort on random feature sets (128-d, k = 3)', () => {
      for (const seed of [1, 2, 3]) {
        const real = normal(key(seed), [150, 128]);
        const fake = tensor([120, 128], normal(key(seed + 10), [120, 128]).data.map((v) => 0.3 + 1.1 * v));
        assert.deepEqual(precisionRecall(real, fake), naivePrecisionRecall(real, fake, 3));
      }
    });
  });
});
