import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tensor, zeros, ones, full, scalar, item, toNested, assertFinite, sizeOf, MAX_TENSOR_ELEMENTS } from '../../src/core/tensor.js';
import { key, normal } from '../../src/core/random.js';
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

describe('Tensor size limit', () => {
  it('zeros([1e5, 1e5]) is a ShapeError naming the element count and the limit, not a RangeError', () => {
    assert.throws(
      () => zeros([1e5, 1e5]),
      (e: unknown) =>
        e instanceof ShapeError && /\[100000, 100000\] has 10000000000 elements/.test(e.message) && e.message.includes(`at most ${MAX_TENSOR_ELEMENTS}`),
    );
  });
  it('the limit is exact: one element past it is rejected by every constructor, before allocating', () => {
    const over = [2 ** 16, 2 ** 15];
    assert.equal(sizeOf(over), MAX_TENSOR_ELEMENTS + 1);
    for (const make of [() => zeros(over), () => ones(over), () => full(over, 2), () => normal(key(0), over)]) {
      assert.throws(make, ShapeError);
    }
  });
  it('an allocation the machine cannot satisfy is a ValueError naming the size (Node under ulimit -v)', () => {
    const code = `import(${JSON.stringify(new URL('../../src/core/tensor.js', import.meta.url).href)}).then((T) => {
      try { T.zeros([2 ** 30 + 2 ** 29]); console.log('allocated'); } catch (e) { console.log(e.name + ': ' + e.message); }
    });`;
    const r = spawnSync('bash', ['-c', 'ulimit -v 1500000; exec "$0" -e "$1"', process.execPath, code], { encoding: 'utf8' });
    assert.match(r.stdout, /^ValueError: cannot allocate a tensor of shape \[1610612736\]: 1610612736 elements \(6\.00 GiB\)/, r.stdout + r.stderr);
  });
});
