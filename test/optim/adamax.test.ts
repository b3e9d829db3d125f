import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import fc from 'fast-check';
import { adamax, optimizerStep, scaleByAdamax } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { assertFusedMatchesComposed, runSteps } from '../helpers/optimizer_run.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);

describe('adamax', () => {
  forEachBackend(() => {
    it('takes two steps as the hand-computed float64 rule (lr 0.1, β = (0.9, 0.5), eps 1e-3)', () => {
      // m ← β₁m + (1 − β₁)g, u∞ ← max(β₂u∞, |g| + eps), p ← p − lr·m/((1 − β₁ᵗ)·u∞).
      // Step 1: m = [0.05, −0.1], u∞ = [0.501, 1.001], 1 − β₁ = 0.1.
      // Step 2: m = [0.035, −0.04]; u∞[0] = max(0.2505, 0.101) keeps the decayed norm,
      // u∞[1] = max(0.5005, 0.501) takes the new |g| + eps; 1 − β₁² = 0.19.
      const [p1, p2] = runSteps(adamax(0.1, { b1: 0.9, b2: 0.5, eps: 1e-3 }), t(1, -2), [t(0.5, -1), t(-0.1, 0.5)]);
      assertClose(p1!, [0.9001996007984032, -1.9000999000999002]);
      assertClose(p2!, [0.826662464544595, -1.8580786793834383]);
    });
    it('its fused step takes the same two hand-computed steps', () => {
      const tx = adamax(0.1, { b1: 0.9, b2: 0.5, eps: 1e-3 });
      let [p, s] = [t(1, -2), tx.init(t(1, -2))];
      [p, s] = optimizerStep(tx, { grads: t(0.5, -1), state: s, params: p });
      assertClose(p, [0.9001996007984032, -1.9000999000999002]);
      [p] = optimizerStep(tx, { grads: t(-0.1, 0.5), state: s, params: p });
      assertClose(p, [0.826662464544595, -1.8580786793834383]);
    });
    it('its fused step gives the bits of update + applyUpdates, params and state, over several steps on random trees', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(0, 0.5, 0.9),
          fc.constantFrom(0.5, 0.999),
          fc.constantFrom(1e-8, 1e-3),
          fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 }),
          fc.integer(),
          (b1, b2, eps, dims, seed) => assertFusedMatchesComposed((fused) => adamax(2e-3, { b1, b2, eps, fused }), dims, 4, seed),
        ),
        { numRuns: 20 },
      );
    });
  });
  it('keeps a typed state: a 0-d count, the first moment and the infinity norm', () => {
    const tx = scaleByAdamax<Tensor>();
    const [, s] = tx.update(t(-2, 1), tx.init(t(0, 0)));
    assert.deepEqual(s.count.shape, []);
    assertClose(s.inf, [2 + 1e-8, 1 + 1e-8]);
    assertClose(s.mu, [-0.2, 0.1]);
  });
  it('runs under a tracer whose .data cannot be read, with the same result as eagerly', () => {
    const tx = adamax(0.1);
    const s = tx.init(t(1, 2));
    const eager = tx.update(t(0.5, -1), s, t(1, 2));
    assert.deepEqual(callWithoutData((g, st, p) => tx.update(g, st, p), t(0.5, -1), s, t(1, 2)), eager);
  });
});
