import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import fc from 'fast-check';
import { currentBackend, withBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { treeFlatten, treeLeaves, treeUnflatten } from '../../src/core/pytree.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { hostJit as jit } from '../helpers/host_jit.js';
import {
  adam,
  adamL2,
  adamw,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  exponentialDecay,
  optimizerStep,
  scaleByAdam,
} from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { assertFusedMatchesComposed, bitsOf, randomTree, runSteps, type Tree } from '../helpers/optimizer_run.js';
import { mulberry } from '../helpers/seeded.js';
import { closeToScale } from '../helpers/programs.js';

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

// ---------------------------------------------------------------------------------------------
// The fused step (one adamUpdate kernel call) against the op-composed update + applyUpdates.

const arbOpts = fc.record({
  b1: fc.constantFrom(0, 0.5, 0.9),
  b2: fc.constantFrom(0.9, 0.999),
  eps: fc.constantFrom(1e-8, 1e-4),
  epsRoot: fc.constantFrom(0, 1e-8),
});
const arbDims = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 2, maxLength: 4 });

describe('the fused Adam step', () => {
  forEachBackend((backend) => {
    it('adam: gives the bits of update + applyUpdates, params and state, over several steps on random trees', () => {
      fc.assert(
        fc.property(arbOpts, arbDims, fc.integer(), (o, dims, seed) => assertFusedMatchesComposed((fused) => adam(2e-4, { ...o, fused }), dims, 4, seed)),
        { numRuns: 25 },
      );
    });
    it('adamw (decoupled decay) and adamL2 (coupled decay): the bits of update + applyUpdates', () => {
      fc.assert(
        fc.property(arbOpts, arbDims, fc.constantFrom(0.01, 0.1), fc.integer(), (o, dims, weightDecay, seed) => {
          assertFusedMatchesComposed((fused) => adamw(1e-3, { ...o, weightDecay, fused }), dims, 3, seed);
          assertFusedMatchesComposed((fused) => adamL2(1e-3, { ...o, weightDecay, fused }), dims, 3, seed);
        }),
        { numRuns: 15 },
      );
    });
    it('with a learning-rate schedule (a tensor of the step count): the bits of update + applyUpdates', () => {
      const lr = exponentialDecay({ init: 1e-2, decayRate: 0.5, transitionSteps: 2 });
      assertFusedMatchesComposed((fused) => adam(lr, { b1: 0.5, fused }), [3, 5, 2], 5, 11);
    });
    it('inside a chain after clipping: the chain keeps the fused step, with the bits of the composed chain', () => {
      assertFusedMatchesComposed((fused) => chain(clipByGlobalNorm(0.5), adam(0.1, { fused })), [4, 3], 3, 5);
    });
    it('corrects the bias at step 1: p₁ = p₀ − lr·g/(|g| + eps) (hand-computed float64)', () => {
      const tx = adam(0.1);
      const [p1] = optimizerStep(tx, { grads: grads[0]!, state: tx.init(p0), params: p0 });
      assertClose(p1, [0.900000002, -1.900000001]);
    });
    for (const eps of [1e-8, 1e-4]) {
      it(`puts eps outside the root (eps = ${eps}): one step with lr 1 and g = ±eps moves the param by ∓0.5`, () => {
        const tx = adam(1, { eps });
        const [p1] = optimizerStep(tx, { grads: t(eps, -eps), state: tx.init(t(0, 0)), params: t(0, 0) });
        assertClose(p1, [-0.5, 0.5], 1e-5);
      });
    }
    it("adamL2 is PyTorch's Adam with weight_decay: step 1 is p − lr·g'/(|g'| + eps) with g' = g + λp (hand-computed float64)", () => {
      // g' = [0.5 + 0.1·1, −1 + 0.1·(−2)] = [0.6, −1.2]; step 1 moves each coordinate by ∓lr (up to eps).
      const tx = adamL2(0.1, { weightDecay: 0.1 });
      const [p1] = optimizerStep(tx, { grads: grads[0]!, state: tx.init(p0), params: p0 });
      assertClose(p1, [1 - 0.1 * (0.6 / (0.6 + 1e-8)), -2 + 0.1 * (1.2 / (1.2 + 1e-8))]);
    });
    it('under jit: traces once, and three jitted steps give the bits of three eager ones (webgpu: within 2e-5 of the scale; WGSL rounds sqrt and division less exactly) without changing earlier results', () => {
      const agree = (a: unknown, b: unknown, what: string): void => {
        if (backend !== 'webgpu') return assert.deepEqual(bitsOf(a), bitsOf(b), what);
        const [la, lb] = [treeLeaves(a), treeLeaves(b)];
        assert.equal(la.length, lb.length, what);
        la.forEach((l, i) => (typeof l === 'number' ? assert.equal(l, lb[i], what) : assert.ok(closeToScale(l, lb[i] as Tensor, { rel: 2e-5, abs: 0 }), `${what}: leaf ${i}`)));
      };
      const tx = adam(1e-2, { b1: 0.5 });
      const step = (g: Tree, s: unknown, p: Tree) => optimizerStep(tx, { grads: g, state: s, params: p });
      const jstep = jit(step);
      const r = mulberry(3);
      const start = randomTree([3, 4, 2], r, 2);
      let [pe, se] = [start, tx.init(start) as unknown];
      let [pj, sj] = [start, se];
      const seen: [Tree, number[][]][] = [];
      for (let i = 0; i < 3; i++) {
        const g = { ...randomTree([3, 4, 2], r, 1e-2), slope: 0 };
        [pe, se] = step(g, se, pe);
        [pj, sj] = jstep(g, sj, pj);
        agree(pj, pe, `params after step ${i + 1}`);
        agree(sj, se, `state after step ${i + 1}`);
        seen.push([pj, bitsOf(pj)]);
      }
      for (const [p, b] of seen) assert.deepEqual(bitsOf(p), b, 'a later call changed an earlier result');
      assert.equal(jstep.stats().traces, 1);
      const kernels = currentBackend().adamUpdate === undefined ? 0 : 1;
      assert.equal(jstep.lower(pe, se, pe).eqns.filter((e) => e.prim === 'adamUpdate').length, kernels, 'one kernel for all leaves where the backend has one');
    });
    it('runs under a tracer whose .data cannot be read, with the same result as eagerly', () => {
      const tx = adam(0.1);
      const s = tx.init(p0);
      const eager = optimizerStep(tx, { grads: grads[0]!, state: s, params: p0 });
      const traced = callWithoutData((p, st, g) => optimizerStep(tx, { grads: g, state: st, params: p }), p0, s, grads[0]!);
      assert.deepEqual(traced, eager);
    });
  });
  it('uses update + applyUpdates on a backend without the kernel (no adamUpdate in the traced graph)', () => {
    const { adamUpdate: _, ...rest } = referenceBackend;
    withBackend(rest, () => {
      const tx = adam(0.1);
      const jstep = jit((g: Tensor, s: unknown, p: Tensor) => optimizerStep(tx, { grads: g, state: s, params: p }));
      const s = tx.init(p0);
      assert.equal(jstep.lower(grads[0]!, s, p0).eqns.some((e) => e.prim === 'adamUpdate'), false);
      assertClose(jstep(grads[0]!, s, p0)[0], [0.900000002, -1.900000001]);
    });
  });
  it('rejects gradients whose structure or shapes differ from the state, as update does', () => {
    const tx = adam(1e-3);
    const params = { a: t(1, 2), b: [t(2)] };
    const s = tx.init(params);
    assert.throws(() => optimizerStep(tx, { grads: { a: t(1), b: [t(2)] }, state: s, params }), ShapeError);
    assert.throws(() => optimizerStep(tx, { grads: { a: [t(1)], b: t(2) } as never, state: s, params }), ShapeError);
  });
});
