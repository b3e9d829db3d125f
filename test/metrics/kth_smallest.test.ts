import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValueError } from '../../src/core/errors.js';
import { kthSmallest } from '../../src/metrics/kth_smallest.js';

it('equals the k-th element of the sorted values, repeated values included', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 60 }), fc.nat(), (xs, kRaw) => {
      const k = 1 + (kRaw % xs.length);
      const sorted = [...xs].sort((a, b) => a - b);
      assert.equal(kthSmallest(Float64Array.from(xs), { k }), sorted[k - 1]);
    }),
  );
});

it('only looks at the first `length` values', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 40 }), fc.nat(), (xs, kRaw) => {
      const length = xs.length - 1;
      const k = 1 + (kRaw % length);
      const sorted = xs.slice(0, length).sort((a, b) => a - b);
      const values = Float64Array.from([...xs.slice(0, length), -Infinity]);
      assert.equal(kthSmallest(values, { k, length }), sorted[k - 1]);
    }),
  );
});

it('rejects k outside [1, length] with a ValueError', () => {
  assert.throws(() => kthSmallest(Float64Array.of(1, 2), { k: 3 }), ValueError);
  assert.throws(() => kthSmallest(Float64Array.of(1, 2), { k: 0 }), ValueError);
});
