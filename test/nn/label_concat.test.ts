import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { tensor } from '../../src/core/tensor.js';
import { ConcatLabelEmbedding, ConcatOneHotLabels, sequential, Linear } from '../../src/nn/index.js';

describe('ConcatLabelEmbedding', () => {
  it('appends the embedding row of each sample\'s class to z', () => {
    const layer = ConcatLabelEmbedding(3, 2);
    const { params, state, outputShape } = layer.init(key(0), [4]);
    assert.deepEqual(outputShape, [6]);
    const z = normal(key(1), [2, 4]);
    const [y] = layer.apply(params, state, z, { train: true, labels: tensor([2], [2, 0]) });
    const t = params.weight.data;
    assert.deepEqual([...y.data], [...z.data.slice(0, 4), t[4]!, t[5]!, ...z.data.slice(4, 8), t[0]!, t[1]!]);
  });

  it('appends constant planes to an image batch', () => {
    const layer = ConcatLabelEmbedding(2, 1);
    const { params, state, outputShape } = layer.init(key(0), [1, 2, 2]);
    assert.deepEqual(outputShape, [2, 2, 2]);
    const x = normal(key(1), [1, 1, 2, 2]);
    const [y] = layer.apply(params, state, x, { train: false, labels: tensor([1], [1]) });
    assert.deepEqual([...y.data.slice(4)], Array(4).fill(params.weight.data[1]));
  });

  it('names itself when the context has no labels', () => {
    const layer = sequential(ConcatLabelEmbedding(3, 2), Linear(1));
    const { params, state } = layer.init(key(0), [4]);
    assert.throws(() => layer.apply(params, state, normal(key(1), [2, 4]), { train: true }), (e: unknown) => e instanceof ValueError && /ConcatLabelEmbedding\(3, 2\)/.test(e.message));
  });

  it('rejects labels whose count is not the batch size', () => {
    const layer = ConcatLabelEmbedding(3, 2);
    const { params, state } = layer.init(key(0), [4]);
    assert.throws(() => layer.apply(params, state, normal(key(1), [2, 4]), { train: true, labels: tensor([3], [0, 1, 2]) }), ShapeError);
  });
});

describe('ConcatOneHotLabels', () => {
  it('appends one-hot codes of the labels', () => {
    const layer = ConcatOneHotLabels(3);
    const { params, state, outputShape } = layer.init(key(0), [1]);
    assert.deepEqual(outputShape, [4]);
    const [y] = layer.apply(params, state, tensor([2, 1], [5, 6]), { train: true, labels: tensor([2], [1, 2]) });
    assert.deepEqual([...y.data], [5, 0, 1, 0, 6, 0, 0, 1]);
  });
});
