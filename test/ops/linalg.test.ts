import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import { currentBackend } from '../../src/backend/current.js';
import { ShapeError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';
import { forEachBackend } from '../helpers/backends.js';

forEachBackend(() => {
  describe('powerIterationStep', () => {
    const w = normal(key(0), [5, 7]);
    const u = normal(key(1), [5]);

    it("returns the backend kernel's u', v and σ, σ as a 0-d tensor", () => {
      const r = ops.powerIterationStep(w, u);
      const k = currentBackend().powerIteration(w.data, 5, 7, u.data, 1e-12);
      assert.deepEqual([r.u.shape, r.v.shape, r.sigma.shape], [[5], [7], []]);
      assert.deepEqual([...r.u.data], [...k.u]);
      assert.deepEqual([...r.v.data], [...k.v]);
      assert.deepEqual([...r.sigma.data], [Math.fround(k.sigma)]);
    });

    it('passes no gradient to W or u', () => {
      const f = ({ w, u }: { w: Tensor; u: Tensor }): Tensor => {
        const r = ops.powerIterationStep(w, u);
        return ops.add(ops.add(r.sigma, ops.sum(r.u)), ops.sum(r.v));
      };
      const g = grad(f)({ w, u });
      assert.ok([...g.w.data, ...g.u.data].every((v) => v === 0));
    });

    it('rejects a non-matrix W and a u of the wrong length', () => {
      assert.throws(() => ops.powerIterationStep(normal(key(2), [5, 7, 1]), u), ShapeError);
      assert.throws(() => ops.powerIterationStep(w, normal(key(3), [7])), /u must be \[5\]/);
    });
  });
});
