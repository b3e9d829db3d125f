import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, zeros, scalar, item, toNested, assertFinite, sizeOf } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';

describe('Tensor', () => {
  it('is frozen: its shape cannot be changed', () => {
    const x = tensor([2, 2], [1, 2, 3, 4]);
    assert.ok(Object.isFrozen(x) && Object.isFrozen(x.shape));
  });
  it('rejects data whose length does not match the shape, naming the shape', () => {
    assert.throws(() => tensor([2, 3], [1, 2, 3]), (e: unknown) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /3 elements/.test(e.message));
  });
  it('rejects negative or fractional dimensions', () => {
    assert.throws(() => zeros([2, -1]), ShapeError);
    assert.throws(() => zeros([1.5]), ShapeError);
  });
  it('has size 1 for a scalar and reads it with item()', () => {
    assert.equal(sizeOf([]), 1);
    assert.equal(item(scalar(2.5)), 2.5);
    assert.throws(() => item(zeros([2])), ShapeError);
  });
  it('converts to nested arrays in row-major order', () => {
    assert.deepEqual(toNested(tensor([2, 3], [1, 2, 3, 4, 5, 6])), [[1, 2, 3], [4, 5, 6]]);
  });
  it('assertFinite names the tensor and the index of the first NaN', () => {
    assert.throws(() => assertFinite(tensor([3], [0, NaN, 1]), 'grad'), (e: unknown) => e instanceof ValueError && /grad/.test(e.message) && /index 1/.test(e.message));
  });
});
