import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { treeFlatten, treeUnflatten } from '../../src/core/pytree.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { adam, adamw, applyUpdates, scaleByAdam } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { runSteps } from '../helpers/optimizer_run.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);

// Hand-computed in float64 from p0 = [1, −2], g₁ = [0.5, −1], g₂ = [−0.25, 2] with
// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ) + eps_root) + eps).
const p0 = t(1, -2);
const grads = [t(0.5, -1), t(-0.25, 2)];

describe('adam', () => {
  forEachBackend(() => {
    it('takes two steps as the hand-computed float64 rule (defaults, lr 0.1)', () => {
      const [p1, p2] = runSteps(adam(0.1), p0, grads);
      // Step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps).
      assertClose(p1!, [0.900000002, -1.900000001]);
      assertClose(p2!, [0.8733662987078463, -1.9366103534720749]);
    });
    it('uses its betas and eps: with β = (0.5, 0.9) a zero first moment leaves a coordinate still', () => {
      const [p1, p2] = runSteps(adam(0.1, { b1: 0.5, b2: 0.9, eps: 1e-3 }), p0, grads);
      assertClose(p1!, [0.9001996007984032, -1.9000999000999002]);
      // m₂[0] = 0.5·0.25 + 0.5·(−0.25) = 0.
      assertClose(p2!, [0.9001996007984032, -1.9623311336278983]);
    });
    it('adds epsRoot inside the square root', () => {
      const [p1, p2] = runSteps(adam(0.1, { b1: 0.5, b2: 0.9, eps: 1e-3, epsRoot: 0.01 }), p0, grads);
      assertClose(p1!, [0.9021338637149992, -1.9005951924593896]);
      assertClose(p2!, [0.9021338637149992, -1.9627061980639369]);
    });
    for (const eps of [1e-8, 1e-4]) {
      it(`puts eps outside the root: one step with lr 1 and g = ±eps (eps = ${eps}) moves the param by ∓0.5`, () => {
        // m̂/(√v̂ + eps) = g/(|g| + eps) = ±1/2; with eps inside the root it would be g/√(g² + eps) ≈ g/√eps.
        const [p1] = runSteps(adam(1, { eps }), t(0, 0), [t(eps, -eps)]);
        assertClose(p1!, [-0.5, 0.5], 1e-5);
      });
    }
    it('AdamW decays the weights decoupled from the moments: p ← p − lr·(û + λp)', () => {
      const [p1, p2] = runSteps(adamw(0.1, { weightDecay: 0.1 }), p0, grads);
      assertClose(p1!, [0.890000002, -1.880000001]);
      assertClose(p2!, [0.8544662986878464, -1.8978103534620747]);
    });
  });
  it('keeps a typed state: a 0-d step count and moments shaped like the params', () => {
    const params = { w: t(1, 2), b: tensor([1, 1], [3]) };
    const tx = scaleByAdam<typeof params>();
    const s0 = tx.init(params);
    assert.deepEqual(s0.count.shape, []);
    assert.deepEqual(s0.mu.w.shape, [2]);
    assert.deepEqual(s0.nu.b.shape, [1, 1]);
    const [, s1] = tx.update(params, s0);
    const [, s2] = tx.update(params, s1);
    assert.deepEqual([...s2.count.data], [2]);
    assert.deepEqual(s2.count.shape, []);
  });
  it('has a serialisable state: plain objects and arrays of tensors that flatten and rebuild', () => {
    const tx = adam(1e-3);
    const params = { layers: [{ w: t(1, 2) }, { w: t(3) }] };
    const [, s] = tx.update(params, tx.init(params), params);
    const { leaves, treedef } = treeFlatten(s);
    assert.equal(leaves.length, 1 + 2 + 2 + 1, 'count, mu (2), nu (2), and the learning-rate count');
    assert.deepEqual(treeUnflatten(treedef, leaves), s);
  });
  it('rejects gradients whose structure differs from the state even with the same leaf count', () => {
    const tx = adam(1e-3);
    const s = tx.init({ a: t(1), b: [t(2)] });
    assert.throws(() => tx.update({ a: [t(1)], b: t(2) }, s), ShapeError);
  });
  it('rejects gradients whose leaf shapes differ from the state', () => {
    const tx = adam(1e-3);
    const s = tx.init({ a: t(1, 2) });
    assert.throws(() => tx.update({ a: t(1) }, s), (e: unknown) => e instanceof ShapeError && /\[2\]/.test(e.message) && /\[1\]/.test(e.message));
  });
  it('leaves number leaves of the params (constants) unchanged', () => {
    const params = { w: t(1), slope: 0.2 };
    const tx = adam<typeof params>(0.1);
    const [u, s] = tx.update({ w: t(0.5), slope: 0 }, tx.init(params), params);
    const p = applyUpdates(params, u);
    assert.equal(p.slope, 0.2);
    assert.equal(s[0].mu.slope, 0);
  });
  it('runs under a tracer whose .data cannot be read, with the same result as eagerly', () => {
    const tx = adam(0.1);
    const state = tx.init(p0);
    const [u1, s1] = tx.update(grads[0]!, state, p0);
    const eager = tx.update(grads[1]!, s1, applyUpdates(p0, u1));
    const out = callWithoutData((p, s, g) => tx.update(g, s, p), applyUpdates(p0, u1), s1, grads[1]!);
    assert.deepEqual(out, eager);
    const init = callWithoutData((p) => tx.init(p), p0);
    assert.deepEqual(init, state);
  });
  it('rejects betas outside [0, 1) and a negative eps', () => {
    assert.throws(() => adam(1e-3, { b1: 1 }), ValueError);
    assert.throws(() => adam(1e-3, { b2: -0.1 }), ValueError);
    assert.throws(() => adam(1e-3, { eps: -1 }), ValueError);
  });
});
