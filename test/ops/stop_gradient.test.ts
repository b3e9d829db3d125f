import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';

describe('stopGradient', () => {
  const x = tensor([2], [1.5, -2]);

  it('passes the value through unchanged', () => {
    assert.deepEqual([...ops.stopGradient(x).data], [...x.data]);
  });

  it('is a constant to every level of nested transforms', () => {
    // d/dy Σ y·sg(y) = sg(y), the value of x but a constant to the outer grad as well, so
    // d/dx Σ x · sg(x) = sg(x) = x (it would be 2x if sg(y) were differentiated at the outer level).
    const inner = (t: Tensor): Tensor => grad((y: Tensor) => ops.sum(ops.mul(y, ops.stopGradient(y))))(t);
    const g = grad((t: Tensor) => ops.sum(ops.mul(t, inner(t))))(x);
    assert.deepEqual([...g.data], [...x.data]);
  });
});
