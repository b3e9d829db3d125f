import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key } from '../../src/core/random.js';
import { item, tensor, type Tensor } from '../../src/core/tensor.js';
import { sgd, type GradientTransformation } from '../../src/optim/index.js';
import { resolveTrainConfig } from '../../src/train/config.js';
import { drawRandomness, iterationPhases, makeTrainCore, makeTrainStep } from '../../src/train/iteration.js';
import { readMetrics } from '../../src/train/metrics.js';
import { initTrainState, type TrainState } from '../../src/train/state.js';
import { dStep, gStep } from '../../src/train/step.js';
import { forEachBackend } from '../helpers/backends.js';
import { bitsOf, deepCopy, realBatches, tinyConfig } from '../helpers/tiny_gan.js';

/** A transformation that counts its update calls (and is otherwise `inner`). */
function counting(inner: GradientTransformation<unknown>): { tx: GradientTransformation<unknown>; calls: () => number } {
  let calls = 0;
  return {
    tx: {
      init: (p) => inner.init(p),
      update(u, s, p) {
        calls++;
        return inner.update(u, s, p);
      },
    },
    calls: () => calls,
  };
}

const arbSeed = fc.integer({ min: 0, max: 1e6 });

forEachBackend(() => {
  describe('makeTrainStep', () => {
    it('leaves its input state unchanged (compared with a deep copy taken before the step)', () => {
      const config = tinyConfig({ nDis: 2, regularizers: { gradientPenalty: { weight: 10 } } });
      const step = makeTrainStep(config);
      fc.assert(
        fc.property(arbSeed, (seed) => {
          const s = initTrainState(config, key(seed));
          const copy = deepCopy(s);
          step(s, { real: realBatches(seed, 2) }, key(seed + 1));
          assert.deepEqual(bitsOf(s), bitsOf(copy));
        }),
        { numRuns: 10 },
      );
    });

    it('gives bit-identical states and metrics for the same state, batch and key', () => {
      const config = tinyConfig({ nDis: 2, loss: 'hinge', regularizers: { gradientPenalty: { weight: 10 } } });
      const step = makeTrainStep(config);
      fc.assert(
        fc.property(arbSeed, (seed) => {
          const s = initTrainState(config, key(seed));
          const batch = { real: realBatches(seed, 2) };
          const a = step(s, batch, key(seed + 1));
          const b = step(s, batch, key(seed + 1));
          assert.deepEqual(bitsOf(a), bitsOf(b));
          const c = step(s, batch, key(seed + 2));
          assert.notDeepEqual(bitsOf(c[0]), bitsOf(a[0]));
        }),
        { numRuns: 10 },
      );
    });

    it('with nDis = 5 one iteration performs five D updates and one G update, and counts one step', () => {
      const g = counting(sgd(1e-2) as GradientTransformation<unknown>);
      const d = counting(sgd(1e-2) as GradientTransformation<unknown>);
      const config = tinyConfig({ nDis: 5, optimizers: { g: g.tx, d: d.tx } });
      const s = initTrainState(config, key(1));
      const [next] = makeTrainStep(config)(s, { real: realBatches(1, 5) }, key(2));
      assert.equal(d.calls(), 5);
      assert.equal(g.calls(), 1);
      assert.equal(item(next.step), 1);
    });

    it('is the phases of iterationPhases run with dStep and gStep, bit for bit, in either order', () => {
      for (const order of ['d-first', 'g-first'] as const) {
        const config = resolveTrainConfig(tinyConfig({ nDis: 3, order, regularizers: { gradientPenalty: { weight: 10 } } }));
        assert.deepEqual(iterationPhases(config), order === 'd-first' ? [0, 1, 2, 'g'] : ['g', 0, 1, 2]);
        const s0 = initTrainState(config, key(3));
        const real = realBatches(3, 3);
        const rnd = drawRandomness(config, key(4), 4);
        let s: TrainState = s0;
        for (const phase of iterationPhases(config)) {
          s = phase === 'g' ? gStep(config, s, { z: rnd.zG })[0] : dStep(config, s, { real: real[phase]!, z: rnd.zD[phase]!, alpha: rnd.alpha![phase]! })[0];
        }
        const [core] = makeTrainCore(config)(s0, { real }, rnd);
        assert.deepEqual(bitsOf({ ...s, step: tensor([], [1]) }), bitsOf(core));
      }
    });

    it('with d-first and g-first gives different results (the order matters and is honoured)', () => {
      const s = initTrainState(tinyConfig(), key(5));
      const run = (order: 'd-first' | 'g-first'): TrainState => makeTrainStep(tinyConfig({ order }))(s, { real: realBatches(5, 1) }, key(6))[0];
      assert.notDeepEqual(bitsOf(run('d-first')), bitsOf(run('g-first')));
    });

    it('replays an iteration exactly from explicit randomness', () => {
      const config = resolveTrainConfig(tinyConfig({ nDis: 2, regularizers: { gradientPenalty: { weight: 1 } } }));
      const s = initTrainState(config, key(7));
      const batch = { real: realBatches(7, 2) };
      const step = makeTrainStep(config);
      assert.deepEqual(bitsOf(step(s, batch, key(8))), bitsOf(step(s, batch, drawRandomness(config, key(8), 4))));
    });

    it('a batch with a NaN in any D step leaves the whole state bit-identical and reports finite = 0', () => {
      const config = tinyConfig({ nDis: 5 });
      const step = makeTrainStep(config);
      fc.assert(
        fc.property(arbSeed, fc.integer({ min: 0, max: 4 }), fc.nat(7), (seed, k, at) => {
          const s = initTrainState(config, key(seed));
          const real = realBatches(seed, 5).map((b, i) => (i === k ? tensor(b.shape, b.data.map((v, j) => (j === at ? NaN : v))) : b));
          const [next, metrics] = step(s, { real }, key(seed + 1));
          assert.equal(readMetrics(metrics).finite, 0);
          assert.deepEqual(bitsOf(next), bitsOf(s));
        }),
        { numRuns: 10 },
      );
    });

    it('reports the D metrics of the last D step and the G metrics, as 0-d tensors', () => {
      const config = resolveTrainConfig(tinyConfig({ nDis: 2 }));
      const s = initTrainState(config, key(9));
      const real = realBatches(9, 2);
      const rnd = drawRandomness(config, key(10), 4);
      const [, metrics] = makeTrainCore(config)(s, { real }, rnd);
      for (const t of Object.values(metrics)) assert.deepEqual((t as Tensor).shape, []);
      const afterFirst = dStep(config, s, { real: real[0]!, z: rnd.zD[0]! })[0];
      const last = readMetrics(dStep(config, afterFirst, { real: real[1]!, z: rnd.zD[1]! })[1]);
      const m = readMetrics(metrics);
      assert.equal(m.d_loss, last.d_loss);
      assert.equal(m.d_real, last.d_real);
      assert.ok(Number.isFinite(m.g_loss) && m.finite === 1);
    });

    it('rejects a batch that does not hold nDis real batches', () => {
      const config = tinyConfig({ nDis: 2 });
      const s = initTrainState(config, key(11));
      assert.throws(() => makeTrainStep(config)(s, { real: realBatches(1, 1) }, key(1)), /nDis = 2 real batches/);
      assert.throws(() => makeTrainStep(config)(s, { real: [] }, key(1)), /at least one batch/);
    });
  });
});
