import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { epochIterator, epochOrder, nextBatch, takeRows, type EpochIterator } from '../../src/data/iterate.js';
import { foldIn, key, permutation } from '../../src/core/random.js';
import { tensor } from '../../src/core/tensor.js';

/** `count` batches from an iterator, and the iterator after them. */
function take(it: EpochIterator, count: number): [number[][], EpochIterator] {
  const out: number[][] = [];
  let cur = it;
  for (let i = 0; i < count; i++) {
    const [b, next] = nextBatch(cur);
    out.push([...b]);
    cur = next;
  }
  return [out, cur];
}

describe('epoch iterator', () => {
  it('visits every example exactly once per epoch when the batch divides the size', () => {
    const [batches] = take(epochIterator({ key: key(0), size: 12, batchSize: 4 }), 3);
    assert.deepEqual(batches.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
  it("orders epoch e by permutation(foldIn(key, e), size)", () => {
    const [batches] = take(epochIterator({ key: key(5), size: 6, batchSize: 3 }), 4);
    assert.deepEqual(batches.slice(0, 2).flat(), [...permutation(foldIn(key(5), 0), 6)]);
    assert.deepEqual(batches.slice(2, 4).flat(), [...permutation(foldIn(key(5), 1), 6)]);
    assert.notDeepEqual(batches.slice(0, 2).flat(), batches.slice(2, 4).flat());
  });
  it('drops the partial last batch by default and keeps it with dropLast: false', () => {
    const [dropped, after] = take(epochIterator({ key: key(1), size: 10, batchSize: 4 }), 3);
    assert.deepEqual(dropped.map((b) => b.length), [4, 4, 4]);
    assert.equal(after.epoch, 1);
    assert.deepEqual(dropped[2], [...epochOrder(key(1), 1, 10).slice(0, 4)]);
    const [kept] = take(epochIterator({ key: key(1), size: 10, batchSize: 4, dropLast: false }), 4);
    assert.deepEqual(kept.map((b) => b.length), [4, 4, 2, 4]);
  });
  it('a resumed iterator (a copy of its plain data) continues with the same batches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 8 }), fc.nat({ max: 20 }), fc.boolean(), (size, batchSize, stop, dropLast) => {
        fc.pre(!dropLast || batchSize <= size);
        const start = epochIterator({ key: key(size), size, batchSize, dropLast });
        const [whole] = take(start, stop + 5);
        const [, paused] = take(start, stop);
        const restored = JSON.parse(JSON.stringify(paused)) as EpochIterator;
        const [rest] = take(restored, 5);
        assert.deepEqual(rest, whole.slice(stop));
      }),
    );
  });
  it('rejects a misspelt option', () => {
    assert.throws(() => epochIterator({ key: key(0), size: 3, batchsize: 1 } as never), /unknown option "batchsize" \(did you mean "batchSize"\?\)/);
  });
  it('rejects sizes that give no batch', () => {
    assert.throws(() => epochIterator({ key: key(0), size: 3, batchSize: 4 }), /exceeds the 3 examples/);
    assert.throws(() => epochIterator({ key: key(0), size: 0, batchSize: 1 }), /at least one example/);
    assert.throws(() => epochIterator({ key: key(0), size: 3, batchSize: 0 }), /positive integer/);
  });
});

describe('takeRows', () => {
  it('gathers rows along the first axis', () => {
    const x = tensor([3, 2], [0, 1, 10, 11, 20, 21]);
    assert.deepEqual(takeRows(x, [2, 0, 2]), tensor([3, 2], [20, 21, 0, 1, 20, 21]));
    assert.deepEqual(takeRows(tensor([3], [5, 6, 7]), [1]), tensor([1], [6]));
  });
  it('rejects an index outside the tensor', () => {
    assert.throws(() => takeRows(tensor([2, 1], [0, 1]), [2]), /row index 2 is outside \[0, 2\)/);
  });
});
