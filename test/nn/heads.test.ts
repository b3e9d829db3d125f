import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal } from '../../src/core/random.js';
import { Linear, ReLU, sequential, withHeads } from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';

describe('withHeads', () => {
  it('concatenates the heads\' outputs on the shared trunk\'s features', () => {
    const trunk = sequential(Linear(6), ReLU());
    const [h0, h1] = [Linear(1), Linear(4)];
    const layer = withHeads(trunk, [h0, h1]);
    const { params, state, outputShape } = layer.init(key(0), [3]);
    assert.deepEqual(outputShape, [5]);
    const x = normal(key(1), [2, 3]);
    const [y] = layer.apply(params, state, x, { train: true });
    const [phi] = trunk.apply(params.trunk as never, state.trunk as never, x, { train: true });
    const a = h0.apply(params.heads[0] as never, state.heads[0] as never, phi, { train: true })[0];
    const b = h1.apply(params.heads[1] as never, state.heads[1] as never, phi, { train: true })[0];
    assert.deepEqual([...y.data], [...ops.concat([a, b], 1).data]);
  });
});
