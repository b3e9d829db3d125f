import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import {
  addDecayedWeights,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  globalNorm,
  identity,
  leafwise,
  linearSchedule,
  optimizerStep,
  scaleByLearningRate,
  type GradientTransformation,
  zerosLike,
} from '../../src/optim/index.js';
import { add, mul } from '../../src/ops/elementwise.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);
/** Updates of global norm √(3² + 4²) = 5. */
const u5 = { a: t(3, 0), b: t(4) };

describe('leafwise, zerosLike and applyUpdates', () => {
  it('leafwise applies a formula to corresponding tensor leaves: t·0.5 + g', () => {
    const out = leafwise((g, tr) => add(g, mul(tr, 0.5)), { x: t(1, 2), y: [t(3)] }, { x: t(10, 20), y: [t(30)] });
    assert.deepEqual(out, { x: t(6, 12), y: [t(18)] });
  });
  it('leafwise gives 0 for number leaves of the first tree and names a tensor/number mismatch', () => {
    assert.deepEqual(leafwise((g) => mul(g, 2), { w: t(1), c: 7 }), { w: t(2), c: 0 });
    assert.throws(() => leafwise((g) => g, { w: t(1) }, { w: 3 }), (e: unknown) => e instanceof ShapeError && /leaf 0: a tensor \[1\] in tree 0 but a number in tree 1/.test(e.message));
  });
  it('zerosLike keeps the structure and shapes, with zero data', () => {
    assert.deepEqual(zerosLike({ w: tensor([2, 1], [5, 6]), c: 3, act: 'relu' }), { w: tensor([2, 1], [0, 0]), c: 0, act: 'relu' });
  });
  it('applyUpdates adds leafwise and keeps number leaves', () => {
    assert.deepEqual(applyUpdates({ w: t(1, 2), c: 3 }, { w: t(0.5, -1), c: 0 }), { w: t(1.5, 1), c: 3 });
  });
  it('applyUpdates rejects an update whose shape differs from its param (no silent broadcast)', () => {
    assert.throws(() => applyUpdates({ w: t(1, 2) }, { w: t(1) }), (e: unknown) => e instanceof ShapeError && /\[2\]/.test(e.message) && /\[1\]/.test(e.message));
  });
  it('applyUpdates rejects updates of another structure, naming both', () => {
    assert.throws(() => applyUpdates({ w: t(1), b: t(2) }, [t(1), t(2)]), /tree 0 is \{b: \*, w: \*\} but tree 1 is \[\*, \*\]/);
  });
});

describe('transformations', () => {
  forEachBackend(() => {
    it('globalNorm is √(Σ x²) over every tensor leaf, as a 0-d tensor', () => {
      const n = globalNorm({ ...u5, c: 100 });
      assert.deepEqual(n.shape, []);
      assertClose(n, [5]);
      assertClose(globalNorm({}), [0]);
    });
    it('clipByGlobalNorm scales by maxNorm/‖u‖ when the norm is above maxNorm', () => {
      const [u] = clipByGlobalNorm(1).update(u5, null);
      assertClose(u.a, [0.6, 0]);
      assertClose(u.b, [0.8]);
    });
    it('clipByGlobalNorm leaves updates at or below maxNorm (and all-zero updates) unchanged', () => {
      assert.deepEqual(clipByGlobalNorm(5).update(u5, null)[0], u5);
      assert.deepEqual(clipByGlobalNorm(10).update(u5, null)[0], u5);
      assert.deepEqual(clipByGlobalNorm(1).update({ a: t(0, 0) }, null)[0], { a: t(0, 0) });
    });
    it('chain applies its transformations in order: clip then scale differs from scale then clip', () => {
      const clipThenScale = chain(clipByGlobalNorm(1), scaleByLearningRate(0.5));
      const [u1] = clipThenScale.update(u5, clipThenScale.init(u5));
      assertClose(u1.a, [-0.3, 0]);
      assertClose(u1.b, [-0.4]);
      const scaleThenClip = chain(scaleByLearningRate(0.5), clipByGlobalNorm(1));
      const [u2] = scaleThenClip.update(u5, scaleThenClip.init(u5));
      assertClose(u2.a, [-0.6, 0]);
      assertClose(u2.b, [-0.8]);
    });
    it('chain keeps one state per transformation and threads each through', () => {
      const tx = chain(identity(), clipByGlobalNorm(1), scaleByLearningRate(0.1));
      const s0 = tx.init(u5);
      assert.equal(s0.length, 3);
      const [, s1] = tx.update(u5, s0);
      const [, s2] = tx.update(u5, s1);
      assert.equal(s2[0], null);
      assert.equal(s2[1], null);
      assertClose(s2[2].count, [2]);
    });
    it('chain rejects a state that is not a tuple of its length', () => {
      const tx = chain(identity(), scaleByLearningRate(0.1));
      assert.throws(() => tx.update(u5, [null] as never), /state tuple of 2, got 1/);
    });
    it('scaleByLearningRate calls a schedule with the 0-based count of previous updates', () => {
      const tx = scaleByLearningRate(linearSchedule({ init: 1, end: 0, transitionSteps: 4 }));
      let s = tx.init(t(0));
      const steps: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [u, s2] = tx.update(t(1), s);
        steps.push(u.data[0]!);
        s = s2;
      }
      assertClose(steps, [-1, -0.75, -0.5]);
    });
    it('addDecayedWeights adds λ·params and needs the params', () => {
      const tx = addDecayedWeights(0.1);
      assertClose(tx.update(t(1, 1), null, t(10, -20))[0], [2, -1]);
      assert.throws(() => tx.update(t(1), null), /needs the params/);
    });
  });
  it('clipByGlobalNorm runs under a tracer whose .data cannot be read (no host branch on the norm)', () => {
    const tx = clipByGlobalNorm(1);
    assert.deepEqual(callWithoutData((u) => tx.update(u, null)[0], u5), tx.update(u5, null)[0]);
  });
  it('a scheduled learning rate runs under a tracer, the count traced as well', () => {
    const tx = scaleByLearningRate(linearSchedule({ init: 1, end: 0, transitionSteps: 4 }));
    const s = { count: tensor([], [2]) };
    assert.deepEqual(callWithoutData((u, st) => tx.update(u, st), t(1), s), tx.update(t(1), s));
  });
  it('rejects a negative learning rate and a non-positive maxNorm', () => {
    assert.throws(() => scaleByLearningRate(-1), ValueError);
    assert.throws(() => clipByGlobalNorm(0), ValueError);
  });
});

describe('optimizerStep', () => {
  const p = tensor([2], [1, -2]);
  const g = tensor([2], [0.5, 4]);
  it('is update then applyUpdates for a transformation without a fused step', () => {
    const tx = chain(clipByGlobalNorm(1), scaleByLearningRate(0.5));
    assert.equal(tx.step, undefined);
    const [p1, s1] = optimizerStep(tx, { grads: g, state: tx.init(p), params: p });
    const [u, s2] = tx.update(g, tx.init(p), p);
    assert.deepEqual(p1, applyUpdates(p, u));
    assert.deepEqual(s1, s2);
  });
  it("uses a transformation's own step when it has one, and a chain ending in one runs the others' updates first", () => {
    // A stand-in fused step: p' = p − u, so the test sees which path ran and what it was given.
    const fused: GradientTransformation<null> = {
      init: () => null,
      update: (u, s) => [u, s],
      step: (u, s, params) => [applyUpdates(params, mul(u as Tensor, -1)) as typeof params, s],
    };
    assertClose(optimizerStep(fused, { grads: g, state: null, params: p })[0], [0.5, -6]);
    const tx = chain(scaleByLearningRate(0.5), fused);
    assert.notEqual(tx.step, undefined);
    // u = −0.5·g = [−0.25, −2], then p' = p − u.
    const [p1, s1] = optimizerStep(tx, { grads: g, state: tx.init(p), params: p });
    assertClose(p1, [1.25, 0]);
    assert.deepEqual(s1[1], null);
    assert.deepEqual([...s1[0].count.data], [1]);
  });
});
