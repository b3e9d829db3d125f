/**
 * Device-resident tensors without a device: a fake DeviceOwner (a Map of handle → values)
 * stands in for the WebGPU backend, so what `materialize`, `dispose`, the finalizer and the
 * `data` guard do is checked on every machine.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deviceTensor, dispose, isDeviceTensor, materialize, materializeSync, type DeviceOwner } from '../../src/core/device_tensor.js';
import { DeviceTensorError } from '../../src/core/errors.js';
import { isTensor, tensor } from '../../src/core/tensor.js';
import { treeLeaves } from '../../src/core/pytree.js';
import * as ops from '../../src/ops/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

type Fake = DeviceOwner & { values: Map<number, Float32Array>; reads: number[][]; released: number[] };

function fakeOwner(name = 'fake'): Fake {
  const values = new Map<number, Float32Array>();
  const reads: number[][] = [];
  const released: number[] = [];
  const get = (hs: readonly number[]): Float32Array[] => hs.map((h) => values.get(h)!.slice());
  return {
    name,
    values,
    reads,
    released,
    read: async (hs) => {
      reads.push([...hs]);
      await new Promise((r) => setTimeout(r, 1));
      return get(hs);
    },
    readSync: (hs) => (reads.push([...hs]), get(hs)),
    release: (hs) => released.push(...hs),
  };
}

const put = (o: Fake, h: number, shape: number[], data: number[]) => {
  o.values.set(h, Float32Array.from(data));
  return deviceTensor(shape, o, h);
};

describe('device tensors', () => {
  it('are tensors to isTensor and the pytree functions, and reading their data is a DeviceTensorError naming materialize', () => {
    const o = fakeOwner();
    const t = put(o, 1, [2], [1, 2]);
    assert.ok(isTensor(t) && isDeviceTensor(t) && !isDeviceTensor(tensor([1], [0])));
    assert.equal(treeLeaves({ a: t, b: 3 }).length, 2);
    assert.deepEqual(t.shape, [2]);
    assert.throws(() => t.data, (e: unknown) => e instanceof DeviceTensorError && /materialize/.test(e.message) && /\[2\]/.test(e.message));
    assert.throws(() => ops.add(t, 1), (e: unknown) => e instanceof DeviceTensorError && /materialize/.test(e.message));
  });

  it('materialize replaces every device leaf by its values with one read per owner and leaves host leaves and numbers alone', async () => {
    const o1 = fakeOwner('one');
    const o2 = fakeOwner('two');
    const host = tensor([1], [7]);
    const tree = { a: put(o1, 1, [2], [1, 2]), b: [put(o2, 5, [1], [3]), host, 4], c: put(o1, 2, [1, 2], [5, 6]) };
    const m = await materialize(tree);
    assert.deepEqual(Array.from(m.a.data), [1, 2]);
    assert.deepEqual(Array.from((m.b[0] as typeof host).data), [3]);
    assert.deepEqual(m.c.shape, [1, 2]);
    assert.deepEqual(Array.from(m.c.data), [5, 6]);
    assert.equal(m.b[1], host);
    assert.equal(m.b[2], 4);
    assert.deepEqual(o1.reads, [[1, 2]]);
    assert.deepEqual(o2.reads, [[5]]);
  });

  it('materialize of a tree without device leaves reads nothing and returns the tree itself', async () => {
    const tree = { x: tensor([1], [1]) };
    assert.equal(await materialize(tree), tree);
    assert.equal(materializeSync(tree), tree);
  });

  it('dispose releases each device buffer once, and the disposed tensor says so when read or materialized', async () => {
    const o = fakeOwner();
    const t = put(o, 3, [1], [9]);
    const tree = { t, again: t, host: tensor([1], [0]) };
    dispose(tree);
    dispose(tree);
    assert.deepEqual(o.released, [3]);
    assert.throws(() => t.data, /disposed/);
    await assert.rejects(materialize({ t }), (e: unknown) => e instanceof DeviceTensorError && /disposed/.test(e.message));
  });

  it('a device tensor that is garbage-collected releases its buffer, and a disposed one is not released again', async () => {
    const o = fakeOwner();
    const kept = put(o, 10, [1], [1]);
    dispose(kept);
    (() => {
      for (let h = 11; h < 14; h++) put(o, h, [1], [h]);
    })();
    for (let i = 0; i < 20 && o.released.length < 4; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual([...o.released].sort((a, b) => a - b), [10, 11, 12, 13]);
  });
});
