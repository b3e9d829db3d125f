import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { treeDifferences } from '../../src/io/tree_diff.js';
import { zeros } from '../../src/core/tensor.js';

describe('treeDifferences', () => {
  it('is empty for trees of the same structure and shapes, whatever the values', () => {
    assert.deepEqual(treeDifferences({ w: zeros([2]), s: 1, l: [null, 'a'] }, { w: zeros([2]), s: 5, l: [null, 'a'] }), []);
  });
  it('lists every difference by path: shapes, missing and unexpected keys, lengths, kinds and static values', () => {
    const expected = { g: [{ weight: zeros([3, 2]) }, { bias: zeros([3]) }], act: 'relu', step: 0, opt: { mu: zeros([1]) } };
    const actual = { g: [{ weight: zeros([4, 2]) }], act: 'tanh', step: zeros([1]), extra: 1, opt: {} };
    assert.deepEqual(treeDifferences(expected, actual), [
      'g: 1 entries, expected 2',
      'g[0].weight: shape [4, 2], expected [3, 2]',
      'act: "tanh", expected "relu"',
      'step: a tensor, expected a number',
      'opt.mu: missing',
      'extra: unexpected',
    ]);
  });
});
