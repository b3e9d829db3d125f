import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { full, type Tensor } from '../../src/core/tensor.js';
import { Linear, ReLU, refreshState, residual, sequential, spectralNorm } from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';

describe('residual', () => {
  const inner = sequential(ReLU(), Linear(3));
  const x = normal(key(1), [2, 3]);

  it('adds the input to the inner branch when there is no shortcut', () => {
    const block = residual(inner);
    const { params, state } = block.init(key(0), [3]);
    const [y] = block.apply(params, state, x, { train: true });
    const [f] = inner.apply(params.inner as never, state.inner as never, x, { train: true });
    assert.deepEqual([...y.data], [...ops.add(f, x).data]);
  });

  it('adds the shortcut\'s output when one is given', () => {
    const shortcut = Linear(5);
    const block = residual(sequential(ReLU(), Linear(5)), shortcut);
    const { params, state, outputShape } = block.init(key(0), [3]);
    assert.deepEqual(outputShape, [5]);
    const [y] = block.apply(params, state, x, { train: true });
    const [s] = shortcut.apply(params.shortcut as never, state.shortcut as never, x, { train: true });
    const [f] = sequential(ReLU(), Linear(5)).apply(params.inner as never, state.inner as never, x, { train: true });
    assert.deepEqual([...y.data], [...ops.add(f, s).data]);
  });

  it('rejects branches whose shapes differ', () => {
    assert.throws(() => residual(Linear(4)).init(key(0), [3]), ShapeError);
  });

  it('refreshes spectral norm inside both branches', () => {
    const block = residual(spectralNorm(Linear(4)), spectralNorm(Linear(4)));
    const { params, state } = block.init(key(0), [3]);
    type Sn = { u: Tensor; v: Tensor };
    const st = state as { inner: Sn; shortcut: Sn };
    const reset = (s: Sn): Sn => ({ ...s, v: full(s.v.shape, 1) });
    const r = refreshState(block, params, { inner: reset(st.inner), shortcut: reset(st.shortcut) }) as { inner: Sn; shortcut: Sn };
    assert.notDeepEqual([...r.inner.v.data], [1, 1, 1]);
    assert.notDeepEqual([...r.shortcut.v.data], [1, 1, 1]);
  });
});
