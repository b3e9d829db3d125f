import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { Conv2d, Flatten, Linear, Pack, sequential } from '../../src/nn/index.js';

describe('Pack', () => {
  it('puts m consecutive samples side by side along channels', () => {
    const layer = Pack(2);
    const { params, state, outputShape } = layer.init(key(0), [3, 2, 2]);
    assert.deepEqual(outputShape, [6, 2, 2]);
    const x = normal(key(1), [4, 3, 2, 2]);
    const [y] = layer.apply(params, state, x, { train: true });
    assert.deepEqual(y.shape, [2, 6, 2, 2]);
    for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) {
      assert.deepEqual([...y.data.slice((k * 6 + j * 3) * 4, (k * 6 + j * 3 + 3) * 4)], [...x.data.slice((k * 2 + j) * 12, (k * 2 + j + 1) * 12)]);
    }
  });

  it('gives the discriminator an input with m·C channels', () => {
    const D = sequential(Pack(3), Conv2d(4, { kernel: 3, padding: 1 }), Flatten(), Linear(1));
    const { params } = D.init(key(0), [2, 4, 4]);
    assert.deepEqual((params[1] as { weight: { shape: number[] } }).weight.shape, [4, 6, 3, 3]);
  });

  it('rejects a batch that does not divide by the pack size', () => {
    const layer = Pack(2);
    const { params, state } = layer.init(key(0), [3]);
    assert.throws(() => layer.apply(params, state, normal(key(1), [3, 3]), { train: true }), ShapeError);
  });

  it('rejects a pack size below 1', () => {
    assert.throws(() => Pack(0), ValueError);
  });
});
