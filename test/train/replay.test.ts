import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key, normal, uniform } from '../../src/core/random.js';
import { item } from '../../src/core/tensor.js';
import { initReplay, replayCount, replayMix, replayPush } from '../../src/train/replay.js';

describe('replay buffer', () => {
  it('never holds more than its capacity: items keep their shape and filled = min(Σ writes, capacity)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 }), (capacity, batches) => {
        let b = initReplay(capacity, [2]);
        let written = 0;
        batches.forEach((n, i) => {
          const fresh = normal(key(i), [n, 2]);
          const mixed = replayMix(b, fresh, uniform(key(100 + i), [replayCount(0.5, n)]));
          assert.deepEqual(mixed.shape, [n, 2]);
          b = replayPush(b, fresh);
          written += Math.min(n, capacity);
          assert.deepEqual(b.items.shape, [capacity, 2]);
          assert.equal(item(b.filled), Math.min(written, capacity));
          assert.ok(item(b.filled) <= capacity);
          assert.equal(item(b.next), written % capacity);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('writes oldest-first around the ring: after pushes of 3 and 2 rows into capacity 4, slot 0 holds the fifth row', () => {
    const rows = (from: number, n: number) => normal(key(from), [n, 1]);
    const a = rows(1, 3);
    const b = rows(2, 2);
    const buf = replayPush(replayPush(initReplay(4, [1]), a), b);
    assert.deepEqual([...buf.items.data], [b.data[1]!, a.data[1]!, a.data[2]!, b.data[0]!]);
  });

  it('draws replayed rows only from the filled slots', () => {
    const buf = replayPush(initReplay(8, [1]), normal(key(3), [3, 1]));
    const fresh = normal(key(4), [50, 1]);
    const mixed = replayMix(buf, fresh, uniform(key(5), [50]));
    const held = new Set([...buf.items.data.slice(0, 3)]);
    assert.ok([...mixed.data].every((v) => held.has(v)));
    assert.equal(new Set([...mixed.data]).size, 3);
  });

  it('an empty buffer leaves the fake batch fresh', () => {
    const fresh = normal(key(6), [4, 2]);
    assert.deepEqual([...replayMix(initReplay(5, [2]), fresh, uniform(key(7), [2])).data], [...fresh.data]);
  });
});
