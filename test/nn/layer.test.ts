import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { key } from '../../src/core/random.js';
import { ones } from '../../src/core/tensor.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import * as nn from '../../src/nn/index.js';

useBackend(referenceBackend);
const ctx = { train: true } as const;
const isValueError = (pattern: RegExp) => (e: unknown) => e instanceof ValueError && pattern.test(e.message);

describe('layers applied to the wrong params or state', () => {
  it('a sequential applied with undefined state names the layer and what it expected', () => {
    const net = nn.sequential(nn.Linear(3), nn.Linear(2));
    const { params } = net.init(key(0), [4]);
    assert.throws(
      () => net.apply(params, undefined as never, ones([5, 4]), ctx),
      isValueError(/^Sequential\(Linear\(3\), Linear\(2\)\)\.apply: state must be an array with one entry per layer \(2\), got undefined/),
    );
  });

  it('a sequential applied with the params of a shorter network names both lengths', () => {
    const net = nn.sequential(nn.Linear(3), nn.Linear(2));
    const { state } = net.init(key(0), [4]);
    assert.throws(() => net.apply([{}], state, ones([5, 4]), ctx), isValueError(/params must be an array with one entry per layer \(2\), got 1 entries/));
  });

  for (const [name, layer, input] of [
    ['Linear', nn.Linear(3), ones([2, 4])],
    ['Conv2d', nn.Conv2d(2, { kernel: 3 }), ones([1, 1, 5, 5])],
    ['ConvTranspose2d', nn.ConvTranspose2d(2, { kernel: 3 }), ones([1, 1, 5, 5])],
    ['spectralNorm(Linear)', nn.spectralNorm(nn.Linear(3)), ones([2, 4])],
  ] as const) {
    it(`${name} applied to params without weight names the layer and the missing key`, () => {
      const { state } = layer.init(key(0), input.shape.slice(1));
      assert.throws(
        () => layer.apply({ bias: ones([3]) } as never, state as never, input, ctx),
        isValueError(/\.apply: params must be an object holding weight \(Tensors\); weight missing or not a Tensor \(it holds: bias\)/),
      );
      assert.throws(() => layer.apply(undefined as never, state as never, input, ctx), isValueError(/\.apply: params must be an object holding weight .*got undefined/));
    });
  }

  it('BatchNorm applied with undefined state names the running statistics it needs', () => {
    const bn = nn.BatchNorm();
    const { params } = bn.init(key(0), [3]);
    assert.throws(() => bn.apply(params, undefined as never, ones([2, 3]), ctx), isValueError(/^BatchNorm\.apply: state must be an object holding runningMean, runningVar \(Tensors\), got undefined/));
  });

  it('spectralNorm applied with the inner layer state (no u, v) names them', () => {
    const sn = nn.spectralNorm(nn.Linear(3));
    const { params } = sn.init(key(0), [4]);
    assert.throws(() => sn.apply(params, {} as never, ones([2, 4]), ctx), isValueError(/state must be an object holding u, v \(Tensors\); u, v missing/));
  });

  it('correct params and state still apply', () => {
    const net = nn.sequential(nn.Linear(3), nn.BatchNorm(), nn.spectralNorm(nn.Linear(2)));
    const { params, state } = net.init(key(0), [4]);
    assert.deepEqual(net.apply(params, state, ones([5, 4]), ctx)[0].shape, [5, 2]);
  });
});
