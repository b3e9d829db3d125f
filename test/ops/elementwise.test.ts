import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';

describe('softplus', () => {
  // Float64 truths: softplus(x) = max(x, 0) + log1p(e^(−|x|)), softplus′(x) = σ(x).
  const xs = [1000, -1000, 50, -50];
  const softplus64 = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  const sigmoid64 = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

  it('is finite and exact at ±1000 and ±50, where log(1 + eˣ) overflows', () => {
    assert.equal(Math.log(1 + Math.exp(1000)), Infinity, 'the naive form overflows');
    const y = ops.softplus(tensor([4], xs));
    assert.deepEqual([...y.data], xs.map((x) => Math.fround(softplus64(x))));
    assert.deepEqual([y.data[0], y.data[1]], [1000, 0]);
  });

  it('has the gradient σ(x), finite and exact, at ±1000 and ±50', () => {
    const g = grad((t: Tensor) => ops.sum(ops.softplus(t)))(tensor([4], xs));
    assert.deepEqual([...g.data], xs.map((x) => Math.fround(sigmoid64(x))));
    assert.deepEqual([g.data[0], g.data[1]], [1, 0]);
  });
});
