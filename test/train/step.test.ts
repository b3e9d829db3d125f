import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grad } from '../../src/autodiff/index.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { treeLeaves } from '../../src/core/pytree.js';
import { key, normal, split, uniform } from '../../src/core/random.js';
import { item, tensor, type Tensor } from '../../src/core/tensor.js';
import { BatchNorm, Linear, LeakyReLU, NO_STATE, powerIterate, ReLU, sequential, spectralNorm, type Layer, type NoState } from '../../src/nn/index.js';
import { add, mul, sqrt, square, sub } from '../../src/ops/elementwise.js';
import { mean, sum } from '../../src/ops/reduce.js';
import { sgd } from '../../src/optim/index.js';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { readMetrics } from '../../src/train/metrics.js';
import { initTrainState, type TrainState } from '../../src/train/state.js';
import { dStep, gStep } from '../../src/train/step.js';
import { forEachBackend } from '../helpers/backends.js';
import { bitsOf, tinyConfig } from '../helpers/tiny_gan.js';

/** D(x) = Σ_j a_j·x_j² per sample, x [N, F] → [N, 1]: ∇ₓD(x) = 2·a ⊙ x, a norm that varies per sample. */
function quadraticCritic(features: number): Layer<Readonly<{ weight: Tensor }>, NoState> {
  return {
    name: 'Quadratic',
    init: () => ({ params: { weight: tensor([features], Array.from({ length: features }, (_, j) => 0.5 + 0.25 * j)) }, state: NO_STATE, outputShape: [1] }),
    apply: (params, state, x) => [sum(mul(square(x), params.weight), { axis: 1, keepDims: true }), state],
  };
}

const rows = (t: Tensor): number[][] => Array.from({ length: t.shape[0]! }, (_, i) => Array.from(t.data.slice(i * t.shape[1]!, (i + 1) * t.shape[1]!)));

/** The fake batch G(z) the step computes (same ops, so the same float32 values). */
const fakeOf = (config: TrainConfig, s: TrainState, z: Tensor): Tensor => resolveTrainConfig(config).generator.apply(s.g.params, s.g.state, z, { train: true })[0];

const arbStepInputs = fc.record({ seed: fc.integer({ min: 0, max: 1e6 }), n: fc.integer({ min: 2, max: 6 }) }).map(({ seed, n }) => {
  const [kr, kz, ka] = split(key(seed), 3);
  return { real: normal(kr!, [n, 2]), z: normal(kz!, [n, 3]), alpha: uniform(ka!, [n]) };
});

forEachBackend(() => {
  describe('dStep and gStep', () => {
    it('the gradient penalty is zero for a linear critic whose weight has unit norm', () => {
      const config = tinyConfig({ discriminator: Linear(1, { bias: true }), regularizers: { gradientPenalty: { weight: 10 } } });
      fc.assert(
        fc.property(arbStepInputs, fc.double({ min: 0, max: 2 * Math.PI, noNaN: true }), (inputs, angle) => {
          const s0 = initTrainState(config, key(1));
          const d = s0.d.params as { weight: Tensor; bias: Tensor };
          const s = { ...s0, d: { ...s0.d, params: { ...d, weight: tensor([1, 2], [Math.cos(angle), Math.sin(angle)]) } } };
          const m = readMetrics(dStep(resolveTrainConfig(config), s, inputs)[1]);
          assert.ok(Math.abs(m.gp!) < 1e-6, `gp ${m.gp}`);
        }),
        { numRuns: 20 },
      );
    });

    it('the gradient penalty is positive and uses one α and one gradient norm per sample (two-sided and one-sided)', () => {
      fc.assert(
        fc.property(arbStepInputs, fc.boolean(), fc.double({ min: 0.5, max: 2, noNaN: true }), (inputs, oneSided, target) => {
          const config = tinyConfig({ discriminator: quadraticCritic(2), regularizers: { gradientPenalty: { weight: 10, target, oneSided } } });
          const s = initTrainState(config, key(2));
          const m = readMetrics(dStep(resolveTrainConfig(config), s, inputs)[1]);
          const fake = rows(fakeOf(config, s, inputs.z));
          const real = rows(inputs.real);
          const a = [0.5, 0.75];
          const terms = real.map((r, i) => {
            const al = inputs.alpha.data[i]!;
            const norm = Math.hypot(...r.map((v, j) => 2 * a[j]! * (al * v + (1 - al) * fake[i]![j]!)));
            const excess = norm - target;
            return oneSided ? Math.max(0, excess) ** 2 : excess ** 2;
          });
          const expected = terms.reduce((x, y) => x + y, 0) / terms.length;
          assert.ok(Math.abs(m.gp! - expected) <= 1e-4 * (1 + expected), `gp ${m.gp} vs per-sample ${expected}`);
          if (!oneSided) assert.ok(m.gp! > 0);
        }),
        { numRuns: 30 },
      );
    });

    it('R1 is mean ‖∇ₓD(real)‖² and R2 mean ‖∇ₓD(fake)‖², per sample', () => {
      const config = tinyConfig({ discriminator: quadraticCritic(2), regularizers: { r1: { weight: 10 }, r2: { weight: 1 } } });
      fc.assert(
        fc.property(arbStepInputs, (inputs) => {
          const s = initTrainState(config, key(3));
          const m = readMetrics(dStep(resolveTrainConfig(config), s, inputs)[1]);
          const a = [0.5, 0.75];
          const msq = (xs: number[][]): number => xs.reduce((t, r) => t + r.reduce((u, v, j) => u + (2 * a[j]! * v) ** 2, 0), 0) / xs.length;
          const r1 = msq(rows(inputs.real));
          const r2 = msq(rows(fakeOf(config, s, inputs.z)));
          assert.ok(Math.abs(m.r1! - r1) <= 1e-4 * (1 + r1), `r1 ${m.r1} vs ${r1}`);
          assert.ok(Math.abs(m.r2! - r2) <= 1e-4 * (1 + r2), `r2 ${m.r2} vs ${r2}`);
        }),
        { numRuns: 20 },
      );
    });

    it('R1 and R2 enter the D loss as weight/2 · mean ‖∇ₓD‖² (checked through an SGD step against the analytic gradient)', () => {
      // D = Σ_j a_j·x_j²: R(a) = 4·Σ_j a_j²·mean_i x_ij², ∂R/∂a_j = 8·a_j·mean_i x_ij².
      const lr = 1e-2;
      const optimizers = { g: sgd(lr), d: sgd(lr) } as const;
      fc.assert(
        fc.property(arbStepInputs, fc.double({ min: 0.5, max: 20, noNaN: true }), fc.constantFrom('r1', 'r2'), (inputs, w, which) => {
          const withReg = resolveTrainConfig(tinyConfig({ discriminator: quadraticCritic(2), optimizers, regularizers: { [which]: { weight: w } } }));
          const without = resolveTrainConfig(tinyConfig({ discriminator: quadraticCritic(2), optimizers }));
          const s = initTrainState(without, key(11));
          const aOf = (st: TrainState): Float32Array => (st.d.params as { weight: Tensor }).weight.data;
          const delta = Array.from(aOf(dStep(withReg, s, inputs)[0]), (v, j) => v - aOf(dStep(without, s, inputs)[0])[j]!);
          const x = rows(which === 'r1' ? inputs.real : fakeOf(without, s, inputs.z));
          const a = aOf(s);
          delta.forEach((dj, j) => {
            const meanSq = x.reduce((t, r) => t + r[j]! ** 2, 0) / x.length;
            const expected = -lr * (w / 2) * 8 * a[j]! * meanSq;
            assert.ok(Math.abs(dj - expected) <= 2e-4 * Math.abs(expected) + 2e-6, `Δa_${j} ${dj} vs ${expected}`);
          });
        }),
        { numRuns: 20 },
      );
    });

    it('one-sided label smoothing s is the real target of the D loss', () => {
      const config = resolveTrainConfig(tinyConfig({ loss: 'minimax', regularizers: { labelSmoothing: 0.8 } }));
      const s = initTrainState(config, key(12));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 12 });
      const D = config.discriminator;
      const logits = (x: Tensor): number[] => Array.from(D.apply(s.d.params, s.d.state, x, { train: true })[0].data);
      const softplus = (t: number): number => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
      const meanOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      const r = logits(inputs!.real);
      const f = logits(fakeOf(config, s, inputs!.z));
      const expected = meanOf(r.map((v) => 0.8 * softplus(-v) + 0.2 * softplus(v))) + meanOf(f.map(softplus));
      const got = readMetrics(dStep(config, s, inputs!)[1]).d_loss!;
      assert.ok(Math.abs(got - expected) <= 1e-5 * (1 + expected), `${got} vs ${expected}`);
    });

    it('after weight clipping every D parameter lies in [−c, c], and it is the clamp of the unclipped update', () => {
      fc.assert(
        fc.property(arbStepInputs, fc.double({ min: 1e-3, max: 0.5, noNaN: true }), (inputs, c) => {
          const base = { optimizers: { g: sgd(0.1), d: sgd(5) } } as const;
          const clipped = resolveTrainConfig(tinyConfig({ ...base, regularizers: { weightClip: { c } } }));
          const free = resolveTrainConfig(tinyConfig(base));
          const s = initTrainState(free, key(4));
          const after = treeLeaves(dStep(clipped, s, inputs)[0].d.params) as Tensor[];
          const unclipped = treeLeaves(dStep(free, s, inputs)[0].d.params) as Tensor[];
          const cf = Math.fround(c);
          after.forEach((p, i) => {
            p.data.forEach((v, j) => {
              assert.ok(v >= -cf && v <= cf, `param ${v} outside ±${cf}`);
              assert.equal(v, Math.min(cf, Math.max(-cf, unclipped[i]!.data[j]!)));
            });
          });
        }),
        { numRuns: 20 },
      );
    });

    it("a D step runs exactly one power iteration on D's SN layers and none on G's; a G step runs one on G's and none on D's", () => {
      const sn = (): Layer<unknown, unknown> => spectralNorm(Linear(8)) as Layer<unknown, unknown>;
      const config = resolveTrainConfig(
        tinyConfig({ generator: sequential(sn(), ReLU(), Linear(2)), discriminator: sequential(sn(), LeakyReLU(0.2), Linear(1)), loss: 'hinge' }),
      );
      fc.assert(
        fc.property(arbStepInputs, (inputs) => {
          const s = initTrainState(config, key(5));
          type Sn = { u: Tensor; v: Tensor };
          const layer0 = (st: unknown): Sn => (st as Sn[])[0]!;
          const w0 = (p: unknown): Tensor => (p as { weight: Tensor }[])[0]!.weight;
          const afterD = dStep(config, s, inputs)[0];
          const expectD = powerIterate(w0(s.d.params), layer0(s.d.state).u);
          assert.deepEqual(bitsOf([layer0(afterD.d.state).u, layer0(afterD.d.state).v]), bitsOf([expectD.u, expectD.v]));
          assert.deepEqual(bitsOf(layer0(afterD.g.state)), bitsOf(layer0(s.g.state)));
          const afterG = gStep(config, s, { z: inputs.z })[0];
          const expectG = powerIterate(w0(s.g.params), layer0(s.g.state).u);
          assert.deepEqual(bitsOf([layer0(afterG.g.state).u, layer0(afterG.g.state).v]), bitsOf([expectG.u, expectG.v]));
          assert.deepEqual(bitsOf(afterG.d.state), bitsOf(s.d.state));
        }),
        { numRuns: 10 },
      );
    });

    it('the D step sends no gradient into G: its D loss does not depend on G’s params (the fake batch is detached)', () => {
      const config = resolveTrainConfig(tinyConfig());
      const s = initTrainState(config, key(6));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 6 });
      const dLossOfG = (gParams: unknown): Tensor => dStep(config, { ...s, g: { ...s.g, params: gParams } }, inputs!)[1].d_loss!;
      const g = treeLeaves(grad(dLossOfG)(s.g.params)) as Tensor[];
      for (const t of g) for (const v of t.data) assert.equal(v, 0);
      // Without the detach the same loss has a gradient in G: the check above can fail.
      const gStepLoss = (gParams: unknown): Tensor => gStep(config, { ...s, g: { ...s.g, params: gParams } }, { z: inputs!.z })[1].g_loss!;
      assert.ok((treeLeaves(grad(gStepLoss)(s.g.params)) as Tensor[]).some((t) => t.data.some((v) => v !== 0)));
    });

    it("G runs in train mode in the D step: its batch-norm statistics update there, and D's params do not change in the G step", () => {
      const config = resolveTrainConfig(tinyConfig({ generator: sequential(Linear(8), BatchNorm(), ReLU(), Linear(2)) }));
      const s = initTrainState(config, key(7));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 7 });
      const afterD = dStep(config, s, inputs!)[0];
      const bn = (st: unknown): unknown => (st as unknown[])[1];
      assert.notDeepEqual(bitsOf(bn(afterD.g.state)), bitsOf(bn(s.g.state)));
      assert.deepEqual(bitsOf(afterD.g.params), bitsOf(s.g.params));
      const afterG = gStep(config, s, { z: inputs!.z })[0];
      assert.deepEqual(bitsOf(afterG.d), bitsOf(s.d));
      assert.notDeepEqual(bitsOf(afterG.g.params), bitsOf(s.g.params));
    });

    it('a NaN or ±∞ in the inputs leaves the state bit-identical and reports finite = 0 (D and G steps)', () => {
      const config = resolveTrainConfig(tinyConfig({ generator: sequential(Linear(8), BatchNorm(), ReLU(), Linear(2)) }));
      fc.assert(
        fc.property(arbStepInputs, fc.constantFrom(NaN, Infinity, -Infinity), fc.nat(), fc.boolean(), (inputs, bad, at, inReal) => {
          const s = initTrainState(config, key(8));
          const poison = (t: Tensor): Tensor => tensor(t.shape, t.data.map((v, i) => (i === at % t.data.length ? bad : v)));
          const [sd, md] = dStep(config, s, inReal ? { ...inputs, real: poison(inputs.real) } : { ...inputs, z: poison(inputs.z) });
          assert.equal(item(md.finite!), 0);
          assert.deepEqual(bitsOf(sd), bitsOf(s));
          const [sg, mg] = gStep(config, s, { z: poison(inputs.z) });
          assert.equal(item(mg.finite!), 0);
          assert.deepEqual(bitsOf(sg), bitsOf(s));
        }),
        { numRuns: 20 },
      );
    });

    it('a finite loss with a non-finite gradient is rejected too (the gradient norm enters `finite`)', () => {
      // √((r − r)²) is 0, but its derivative at 0 is ∞·0 = NaN.
      const loss = { d: (r: Tensor, f: Tensor) => add(mean(sqrt(square(sub(r, r)))), mean(f)), g: (_r: Tensor, f: Tensor) => mean(f) };
      const config = resolveTrainConfig(tinyConfig({ loss }));
      const s = initTrainState(config, key(13));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 13 });
      const [next, m] = dStep(config, s, inputs!);
      assert.ok(Number.isFinite(readMetrics(m).d_loss));
      assert.equal(readMetrics(m).finite, 0);
      assert.deepEqual(bitsOf(next), bitsOf(s));
    });

    it('reports the fixed metric names, with sigma/<layer path> for each SN layer', () => {
      const config = resolveTrainConfig(
        tinyConfig({ discriminator: sequential(spectralNorm(Linear(8)), LeakyReLU(0.2), spectralNorm(Linear(1))), regularizers: { gradientPenalty: { weight: 1 }, r1: { weight: 1 } } }),
      );
      const s = initTrainState(config, key(9));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 9 });
      const md = readMetrics(dStep(config, s, inputs!)[1]);
      assert.deepEqual(Object.keys(md).sort(), ['d_fake', 'd_loss', 'd_real', 'finite', 'gp', 'grad_norm_d', 'r1', 'sigma/d.0', 'sigma/d.2']);
      assert.equal(md.finite, 1);
      const sn0 = (s.d.state as { u: Tensor; v: Tensor }[])[0]!;
      const w = (s.d.params as { weight: Tensor }[])[0]!.weight;
      const sigma = item(powerIterate(w, sn0.u).sigma);
      assert.ok(Math.abs(md['sigma/d.0']! - sigma) <= 1e-5 * sigma, `${md['sigma/d.0']} vs ${sigma}`);
      assert.deepEqual(Object.keys(readMetrics(gStep(config, s, { z: inputs!.z })[1])).sort(), ['finite', 'g_loss', 'grad_norm_g']);
    });

    it('rejects inputs of the wrong shape and a missing α with typed errors', () => {
      const config = resolveTrainConfig(tinyConfig({ regularizers: { gradientPenalty: { weight: 1 } } }));
      const s = initTrainState(config, key(10));
      const [inputs] = fc.sample(arbStepInputs, { numRuns: 1, seed: 10 });
      assert.throws(() => dStep(config, s, { ...inputs!, real: normal(key(1), [4, 3]) }), ShapeError);
      assert.throws(() => dStep(config, s, { ...inputs!, z: normal(key(1), [inputs!.real.shape[0]! + 1, 3]) }), ShapeError);
      assert.throws(() => dStep(config, s, { real: inputs!.real, z: inputs!.z }), ValueError);
      assert.throws(() => dStep(config, s, { ...inputs!, alpha: uniform(key(1), [1]) }), ShapeError);
      assert.throws(() => gStep(resolveTrainConfig(tinyConfig({ loss: 'relativistic' })), s, { z: inputs!.z }), /pass a real batch/);
    });
  });
});
