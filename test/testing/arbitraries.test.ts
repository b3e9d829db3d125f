/** The tensor arbitraries keep to their value constraints. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { arbTensorOfShape } from '../../src/testing/index.js';

describe('arbTensorOfShape', () => {
  it('draws finite values within [min, max] and of exactly the shape asked for', () => {
    fc.assert(
      fc.property(arbTensorOfShape([3, 4], { min: -0.5, max: 2 }), (t) => {
        assert.deepEqual(t.shape, [3, 4]);
        for (const v of t.data) assert.ok(Number.isFinite(v) && v >= -0.5 && v <= 2, `value ${v} outside [-0.5, 2]`);
      }),
      { numRuns: 200 },
    );
  });

  it('with minMagnitude never draws a nonzero value smaller than it, while still drawing zeros and subnormal-free small values', () => {
    let sawZero = false;
    fc.assert(
      fc.property(arbTensorOfShape([16], { min: -1, max: 1, minMagnitude: 1e-6 }), (t) => {
        for (const v of t.data) {
          assert.ok(v === 0 || Math.abs(v) >= 1e-6, `value ${v} is below minMagnitude 1e-6`);
          if (v === 0) sawZero = true;
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(sawZero, 'fast-check biases toward 0 and tiny values; some must have been flushed to 0');
  });

  it('without minMagnitude draws subnormals (the bias toward edge cases that found the GPU flush)', () => {
    let sawSubnormal = false;
    fc.assert(
      fc.property(arbTensorOfShape([16], { min: -1, max: 1 }), (t) => {
        for (const v of t.data) if (v !== 0 && Math.abs(v) < 2 ** -126) sawSubnormal = true;
      }),
      { numRuns: 300, seed: 1 },
    );
    assert.ok(sawSubnormal);
  });
});
