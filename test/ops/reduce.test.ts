import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grad } from '../../src/autodiff/index.js';
import { sizeOf, tensor, toNested } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';
import { arbTensor } from '../../src/testing/index.js';

/** Σ or max over `axes` by explicit index arithmetic in float64 (the oracle). */
function naiveReduce(data: Float32Array, shape: readonly number[], axes: readonly number[], kind: 'sum' | 'max'): number[] {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const out = new Array<number>(sizeOf(outShape)).fill(kind === 'sum' ? 0 : -Infinity);
  const idx = shape.map(() => 0);
  for (let flat = 0; flat < data.length; flat++) {
    let rem = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    let o = 0;
    shape.forEach((n, d) => {
      if (!axes.includes(d)) o = o * n + idx[d]!;
    });
    out[o] = kind === 'sum' ? out[o]! + data[flat]! : Math.max(out[o]!, data[flat]!);
  }
  return out;
}

describe('reductions', () => {
  it('sum and max over any set of axes agree with explicit index arithmetic', () => {
    fc.assert(
      fc.property(
        arbTensor({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((x) => fc.tuple(fc.constant(x), fc.subarray(x.shape.map((_, i) => i), { minLength: 1 }))),
        ([x, axes]) => {
          const s = ops.sum(x, { axis: axes });
          const m = ops.max(x, { axis: axes });
          const ns = naiveReduce(x.data, x.shape, axes, 'sum');
          ns.forEach((v, i) => assert.ok(Math.abs(s.data[i]! - v) <= 1e-5 * (1 + Math.abs(v)), `sum ${i}: ${s.data[i]} vs ${v}`));
          assert.deepEqual([...m.data], naiveReduce(x.data, x.shape, axes, 'max').map(Math.fround));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('the gradient of max splits the cotangent equally between tied maxima, as PyTorch amax', () => {
    const x = tensor([2, 3], [1, 3, 3, 2, 0, 1]);
    const g = grad((t: typeof x) => ops.sum(ops.max(t, { axis: 1 })))(x);
    assert.deepEqual(toNested(g), [[0, 0.5, 0.5], [1, 0, 0]]);
  });

  it('logSumExp of a slice of −∞ is −∞, and its gradient elsewhere is the softmax', () => {
    const x = tensor([2, 2], [-Infinity, -Infinity, 0, Math.log(3)]);
    assert.deepEqual([...ops.logSumExp(x, { axis: 1 }).data], [-Infinity, Math.fround(Math.log(4))]);
    const g = grad((t: typeof x) => ops.sum(ops.logSumExp(ops.slice(t, [1]), { axis: 1 })))(x);
    [0, 0, 0.25, 0.75].forEach((v, i) => assert.ok(Math.abs(g.data[i]! - v) <= 1e-6, `index ${i}: ${g.data[i]} vs ${v}`));
  });
});
