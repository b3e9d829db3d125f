import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { tensor, toNested } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';

describe('oneHot', () => {
  it('maps float class ids [N] to rows [N, classes] with one 1 each', () => {
    assert.deepEqual(toNested(ops.oneHot(tensor([3], [2, 0, 1]), 3)), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  });

  it('gives a zero row for a tensor id outside the classes or not an integer', () => {
    assert.deepEqual(toNested(ops.oneHot(tensor([3], [3, -1, 0.5]), 2)), [[0, 0], [0, 0], [0, 0]]);
  });

  it('checks host labels and names the first bad one', () => {
    assert.deepEqual(toNested(ops.oneHot([1, 0], 2)), [[0, 1], [1, 0]]);
    assert.throws(() => ops.oneHot([0, 2], 2), (e: unknown) => e instanceof ValueError && /label 2 at index 1/.test(e.message));
  });
});
