import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import { ShapeError } from '../../src/core/errors.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { blendRunningStat } from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';

describe('blendRunningStat', () => {
  const running = tensor([3], [1, 2, -4]);
  const batch = tensor([3], [3, -2, 6]);

  it('is (1 − momentum)·running + momentum·batch (hand-computed, momentum 0.1)', () => {
    const r = blendRunningStat(running, batch, { momentum: 0.1 });
    [1.2, 1.6, -3].forEach((v, i) => assert.ok(Math.abs(r.data[i]! - v) <= 1e-6, `index ${i}: ${r.data[i]} vs ${v}`));
  });

  it('passes no gradient to the batch statistic', () => {
    const g = grad((p: { r: Tensor; b: Tensor }) => ops.sum(blendRunningStat(p.r, p.b, { momentum: 0.25 })))({ r: running, b: batch });
    assert.deepEqual([...g.b.data], [0, 0, 0]);
    assert.deepEqual([...g.r.data], [0.75, 0.75, 0.75]);
  });

  it('rejects statistics of different shapes', () => {
    assert.throws(() => blendRunningStat(running, tensor([2], [1, 2]), { momentum: 0.1 }), ShapeError);
  });
});
