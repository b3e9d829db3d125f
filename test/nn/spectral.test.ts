import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import type { PowerIterationResult } from '../../src/backend/backend.js';
import { currentBackend } from '../../src/backend/current.js';
import { key, normal } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { powerIterate, spectralSigma } from '../../src/nn/index.js';
import { forEachBackend } from '../helpers/backends.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `index ${i}: ${a[i]} vs ${b[i]}`);
};

forEachBackend(() => {
  describe('spectral norm building blocks', () => {
    const w = normal(key(0), [4, 2, 3, 3]); // viewed as [4, 18]
    const u = normal(key(1), [4]);
    const v = normal(key(2), [18]);

    it('spectralSigma is uᵀ W v (float64 truth) as a 0-d tensor', () => {
      let truth = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 18; j++) truth += u.data[i]! * w.data[i * 18 + j]! * v.data[j]!;
      const s = spectralSigma(w, { u, v });
      assert.deepEqual(s.shape, []);
      close(s.data, [truth], 1e-5);
    });

    it('the gradient of spectralSigma in W is the outer product u vᵀ, and none reaches u or v', () => {
      const g = grad((p: { w: Tensor; u: Tensor; v: Tensor }) => spectralSigma(p.w, { u: p.u, v: p.v }))({ w, u, v });
      const outer = Array.from({ length: 72 }, (_, k) => u.data[Math.floor(k / 18)]! * v.data[k % 18]!);
      close(g.w.data, outer, 1e-6);
      assert.deepEqual(g.w.shape, w.shape);
      assert.ok([...g.u.data, ...g.v.data].every((x) => x === 0));
    });

    it('powerIterate with k steps is k calls of the backend kernel, chained through u', () => {
      const kernel = (from: Float32Array): PowerIterationResult => currentBackend().powerIteration(w.data, 4, 18, from, 1e-12);
      const last = kernel(kernel(kernel(u.data).u).u);
      const r = powerIterate(w, u, { steps: 3 });
      assert.deepEqual([...r.u.data], [...last.u]);
      assert.deepEqual([...r.v.data], [...last.v]);
      assert.deepEqual([...r.sigma.data], [Math.fround(last.sigma)]);
    });
  });
});
