/**
 * selectTree: `where(cond, next, prev)` leafwise — the whole of next or the whole of prev, bit
 * for bit — and a tensor that is the same object on both sides passed through without a pass.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { scalar, tensor } from '../../src/core/tensor.js';
import { jit } from '../../src/jit/index.js';
import type { Tensor } from '../../src/core/tensor.js';
import { isFiniteScalar, selectTree } from '../../src/train/tree_select.js';

const a = tensor([3], [1, -0, Number.NaN]);
const b = tensor([3], [2, 0, 5]);

describe('selectTree', () => {
  it('returns next where cond is 1 and prev bit for bit where it is 0', () => {
    const picked = selectTree(scalar(1), { w: a, k: 3 }, { w: b, k: 3 });
    assert.deepEqual(Array.from(picked.w.data), [1, -0, Number.NaN]);
    assert.ok(Object.is(picked.w.data[1], -0));
    assert.deepEqual(Array.from(selectTree(scalar(0), { w: a }, { w: b }).w.data), [2, 0, 5]);
  });

  it('passes a tensor that is the same on both sides through as it is, and traces no where for it', () => {
    assert.equal(selectTree(scalar(0), { w: a }, { w: a }).w, a);
    const graph = jit((c: Tensor, x: Tensor, y: Tensor) => selectTree(c, [x, y], [x, x])).lower(scalar(1), a, b);
    assert.deepEqual(graph.eqns.map((e) => e.prim), ['where']);
  });

  it('rejects a number leaf that differs between the trees', () => {
    assert.throws(() => selectTree(scalar(1), { k: 1 }, { k: 2 }), ValueError);
  });

  it('isFiniteScalar is 1 for a finite value and 0 for NaN and both infinities', () => {
    assert.deepEqual([1.5, Number.NaN, Infinity, -Infinity].map((x) => isFiniteScalar(scalar(x)).data[0]), [1, 0, 0, 0]);
  });
});
