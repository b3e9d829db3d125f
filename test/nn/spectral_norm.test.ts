import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, normal } from '../../src/core/random.js';
import { Conv2d, Linear, powerIterate, spectralNorm, spectralSigma } from '../../src/nn/index.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend(() => {
  describe('spectral norm state', () => {
    for (const layer of [spectralNorm(Linear(6)), spectralNorm(Conv2d(3, { kernel: 3 }))]) {
      it(`${layer.name}: refresh keeps σ of its power iteration in state, equal to uᵀWv of the new u, v`, () => {
        const { params, state } = layer.init(key(0), layer.name.includes('Conv') ? [2, 5, 5] : [4]);
        // New weights (as after an optimiser step), so the refresh is not a no-op on converged vectors.
        const moved = { ...params, weight: normal(key(1), params.weight.shape) };
        const s = layer.refresh!(moved, state);
        const expected = powerIterate(moved.weight, state.u);
        assert.deepEqual(s.sigma.shape, []);
        assert.deepEqual([...s.sigma.data], [...expected.sigma.data]);
        const uwv = spectralSigma(moved.weight, s).data[0]!;
        assert.ok(Math.abs(s.sigma.data[0]! - uwv) <= 1e-5 * uwv, `σ ${s.sigma.data[0]} vs uᵀWv ${uwv}`);
      });
    }

    it('init starts σ at the estimate of the initial weight', () => {
      const layer = spectralNorm(Linear(5));
      const { params, state } = layer.init(key(3), [8]);
      const uwv = spectralSigma(params.weight, state).data[0]!;
      assert.ok(Math.abs(state.sigma.data[0]! - uwv) <= 1e-5 * uwv);
    });
  });
});
