/**
 * The techniques of issue 10 wired into the step: each test fails when its technique is
 * switched off or wired wrong.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { full, item, tensor, type Tensor } from '../../src/core/tensor.js';
import {
  BatchNorm,
  ConcatLabelEmbedding,
  DiffAugment,
  Flatten,
  LeakyReLU,
  Linear,
  ProjectionHead,
  ReLU,
  Reshape,
  sequential,
  withHeads,
  type AnyLayer,
} from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';
import { linearSchedule } from '../../src/optim/schedules.js';
import { resolveTrainConfig, validateTrainConfig, type TrainConfig, type ValidTrainConfig } from '../../src/train/config.js';
import { drawRandomness, makeTrainCore, makeTrainStep } from '../../src/train/iteration.js';
import { readMetrics } from '../../src/train/metrics.js';
import { sampleGenerator } from '../../src/train/sample.js';
import { initTrainState, type TrainState } from '../../src/train/state.js';
import { dStep, gStep } from '../../src/train/step.js';
import { accuracy, splitOutputs } from '../../src/train/heads.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { assertClose } from '../helpers/assert_close.js';
import { bitsOf, realBatches, tinyConfig } from '../helpers/tiny_gan.js';

const problemsOf = (c: TrainConfig): readonly string[] => {
  const r = validateTrainConfig(c);
  return E.isLeft(r) ? r.left.problems : [];
};

/** 3 classes of 2-D points around (−3, 0), (0, 3), (3, 0) with std 0.3; labels as a float tensor. */
function classBatch(seed: number, n: number): { real: Tensor; labels: Tensor } {
  const ids = Array.from({ length: n }, (_, i) => (i + seed) % 3);
  const centres = [[-3, 0], [0, 3], [3, 0]] as const;
  const noise = normal(key(seed), [n, 2], 0, 0.3).data;
  const pts = ids.flatMap((c, i) => [centres[c]![0] + noise[2 * i]!, centres[c]![1] + noise[2 * i + 1]!]);
  return { real: tensor([n, 2], pts), labels: tensor([n], ids) };
}

const conditionalG = (): AnyLayer => sequential(ConcatLabelEmbedding(3, 4), Linear(16), ReLU(), Linear(2)) as AnyLayer;

describe('technique config validation', () => {
  it('lists every bad technique setting at once', () => {
    const problems = problemsOf(
      tinyConfig({
        noisyLabels: { real: [0.8, 1.2] },
        ema: { decay: 1 },
        pack: 3,
        batchSize: 8,
        acgan: { weight: 1 },
        labelFlip: { probability: 1.5 },
        replay: { capacity: 0, fraction: 0.5 },
        infogan: { categorical: [1], weight: -1 },
      }),
    );
    for (const what of ['noisyLabels.real', 'ema.decay', 'pack: the batch size 8', 'acgan:', 'labelFlip.probability', 'replay.capacity', 'infogan.categorical', 'infogan.weight']) {
      assert.ok(problems.some((p) => p.startsWith(what)), `no problem starting with ${what} in:\n${problems.join('\n')}`);
    }
  });

  it('rejects noisy-label ranges below 0 and EMA decays below 0', () => {
    const problems = problemsOf(tinyConfig({ noisyLabels: { real: [0.9, 1], fake: [-0.1, 0.1] }, ema: { decay: -0.5 } }));
    assert.ok(problems.some((p) => p.startsWith('noisyLabels.fake')));
    assert.ok(problems.some((p) => p.startsWith('ema.decay')));
  });

  it('rejects noisy labels for a loss without BCE targets', () => {
    assert.ok(problemsOf(tinyConfig({ loss: 'hinge', noisyLabels: { real: [0.8, 1] } })).some((p) => p.startsWith('noisyLabels:')));
  });

  it('rejects an ACGAN discriminator whose output is not [1 + classes]', () => {
    const c = tinyConfig({ generator: conditionalG(), conditioning: { classes: 3 }, acgan: { weight: 1 } });
    assert.ok(problemsOf(c).some((p) => p.startsWith('discriminator: with ACGAN/InfoGAN heads its output per sample must be [4]')));
  });

  it('a conditional config without labels, labels out of range and a batch not dividing by the pack size are rejected before any step, every problem listed', () => {
    const cond = resolveTrainConfig(tinyConfig({ generator: conditionalG(), conditioning: { classes: 3 } }));
    const step = makeTrainStep(cond);
    const state = initTrainState(cond, key(0));
    assert.throws(() => step(state, { real: realBatches(0, 1) }, key(1)), (e: unknown) => e instanceof ConfigError && /batch.labels: the config is class-conditional/.test(e.message));
    assert.throws(
      () => step(state, { real: realBatches(0, 1), labels: [tensor([4], [0, 3, 1, 1.5])] }, key(1)),
      (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && /\[1\] = 3/.test(e.message),
    );
    const packed = resolveTrainConfig(tinyConfig({ pack: 2, discriminator: sequential(Linear(8), LeakyReLU(0.2), Linear(1)) }));
    assert.throws(() => makeTrainStep(packed)(initTrainState(packed, key(0)), { real: [normal(key(2), [5, 2])] }, key(1)), (e: unknown) => e instanceof ConfigError && /must divide by the pack size 2/.test(e.message));
  });
});

describe('class-conditional training', () => {
  it('D sees the real labels and the fake labels through ctx.labels: the projection D\'s loss depends on them', () => {
    const c = resolveTrainConfig(tinyConfig({ generator: conditionalG(), discriminator: sequential(Linear(8), LeakyReLU(0.2), ProjectionHead(3)), conditioning: { classes: 3 } }));
    const s = initTrainState(c, key(0));
    const { real, labels } = classBatch(0, 6);
    const z = normal(key(1), [6, 3]);
    const [, a] = dStep(c, s, { real, z, labels, fakeLabels: labels });
    const [, b] = dStep(c, s, { real, z, labels: tensor([6], [2, 2, 2, 2, 2, 2]), fakeLabels: labels });
    assert.notEqual(item(a.d_real!), item(b.d_real!));
  });

  it('ACGAN: the auxiliary classifier\'s accuracy on real data rises during a short run', () => {
    const cfg = (weight: number) =>
      resolveTrainConfig(
        tinyConfig({
          generator: conditionalG(),
          discriminator: withHeads(sequential(Linear(16), LeakyReLU(0.2)), [Linear(1), Linear(3)]),
          conditioning: { classes: 3 },
          acgan: { weight },
          optimizers: { g: { name: 'adam', lr: 5e-3, b1: 0.5 }, d: { name: 'adam', lr: 1e-2, b1: 0.5 } },
        }),
      );
    const accAfter = (weight: number): [number, number] => {
      const c = cfg(weight);
      const step = makeTrainStep(c);
      let s = initTrainState(c, key(3));
      const test = classBatch(99, 30);
      const acc = (st: TrainState) => item(accuracy(splitOutputs(c.discriminator.apply(st.d.params, st.d.state, test.real, { train: false })[0], c.techniques.layout).classes!, test.labels));
      const before = acc(s);
      for (let i = 0; i < 40; i++) {
        const b = classBatch(i, 12);
        [s] = step(s, { real: [b.real], labels: [b.labels] }, key(100 + i));
      }
      return [before, acc(s)];
    };
    const [before, after] = accAfter(1);
    assert.ok(after >= 0.9 && after > before, `accuracy ${before} → ${after}`);
    const [, untrained] = accAfter(0);
    assert.ok(untrained < 0.9, `with weight 0 the head still reached ${untrained}`);
  });
});

describe('ACGAN\'s auxiliary loss on the fakes (acgan.fakeWeight)', () => {
  const acganConfig = (acgan: { weight: number; fakeWeight?: number }): ValidTrainConfig =>
    resolveTrainConfig(
      tinyConfig({
        generator: conditionalG(),
        discriminator: withHeads(sequential(Linear(16), LeakyReLU(0.2)), [Linear(1), Linear(3)]),
        conditioning: { classes: 3 },
        acgan,
        optimizers: { g: { name: 'adam', lr: 5e-3, b1: 0.5 }, d: { name: 'adam', lr: 1e-2, b1: 0.5 } },
      }),
    );
  /** CE of class logits `[n, 3]` (float32 data) against labels, by hand in float64. */
  const crossEntropy64 = (logits: Float32Array, labels: ArrayLike<number>): number => {
    let total = 0;
    for (let i = 0; i < labels.length; i++) {
      const row = Array.from(logits.subarray(3 * i, 3 * i + 3));
      const top = Math.max(...row);
      total += top + Math.log(row.reduce((a, v) => a + Math.exp(v - top), 0)) - row[labels[i]!]!;
    }
    return total / labels.length;
  };
  /** acgan_d of one D step, and the hand-computed CE of D's class head on the real and on the fake batch. */
  const dTerms = (acgan: { weight: number; fakeWeight?: number }): { acganD: number; real: number; fake: number; accFake: number; fakeTop: number } => {
    const c = acganConfig(acgan);
    const s = initTrainState(c, key(5));
    const { real, labels } = classBatch(1, 6);
    const fakeLabels = tensor([6], [2, 2, 1, 0, 1, 2]);
    const z = normal(key(6), [6, 3]);
    const [, m] = dStep(c, s, { real, z, labels, fakeLabels });
    const classesOf = (x: Tensor): Float32Array => splitOutputs(c.discriminator.apply(s.d.params, s.d.state, x, { train: true })[0], c.techniques.layout).classes!.data;
    const fake = c.generator.apply(s.g.params, s.g.state, z, { train: true, labels: fakeLabels })[0];
    const fakeLogits = classesOf(fake);
    const top = Array.from(fakeLabels.data).filter((y, i) => fakeLogits[3 * i + y]! === Math.max(...fakeLogits.subarray(3 * i, 3 * i + 3))).length / 6;
    return {
      acganD: item(m.acgan_d!),
      real: crossEntropy64(classesOf(real), labels.data),
      fake: crossEntropy64(fakeLogits, fakeLabels.data),
      accFake: item(m.acgan_acc_fake!),
      fakeTop: top,
    };
  };

  it('by default (fakeWeight 1, the paper\'s) D\'s auxiliary loss is CE on the real batch plus CE on the fakes with their labels', () => {
    const t = dTerms({ weight: 1 });
    assertClose(t.acganD, t.real + t.fake, 1e-5);
  });

  it('with fakeWeight w D\'s auxiliary loss is CE(real) + w·CE(fake); at 0 it reads the real batch only', () => {
    for (const w of [0, 0.25]) {
      const t = dTerms({ weight: 1, fakeWeight: w });
      assertClose(t.acganD, t.real + w * t.fake, 1e-5);
    }
  });

  it('reports acgan_acc_fake, the share of fakes whose largest class logit is their requested class', () => {
    const t = dTerms({ weight: 1, fakeWeight: 0 });
    assert.equal(t.accFake, Math.fround(t.fakeTop));
  });

  it('rejects a negative or non-numeric fakeWeight', () => {
    const problems = problemsOf(tinyConfig({ generator: conditionalG(), conditioning: { classes: 3 }, acgan: { weight: 1, fakeWeight: -1 } }));
    assert.ok(problems.some((p) => p.startsWith('acgan.fakeWeight: must be a finite number >= 0')), problems.join('; '));
  });

  it('with the classifier trained on real data only, G(z, k) lands nearest class k\'s centre for most samples after a short run', () => {
    const c = acganConfig({ weight: 1, fakeWeight: 0 });
    const step = makeTrainStep(c);
    let s = initTrainState(c, key(3));
    for (let i = 0; i < 100; i++) {
      const b = classBatch(i, 12);
      [s] = step(s, { real: [b.real], labels: [b.labels] }, key(100 + i));
    }
    const n = 60;
    const wanted = Array.from({ length: n }, (_, i) => i % 3);
    const x = sampleGenerator(c, s, normal(key(7), [n, 3]), { labels: tensor([n], wanted) }).data;
    const centres = [[-3, 0], [0, 3], [3, 0]] as const;
    const nearest = (i: number): number => centres.map(([a, b]) => (x[2 * i]! - a) ** 2 + (x[2 * i + 1]! - b) ** 2).reduce((best, d, k, ds) => (d < ds[best]! ? k : best), 0);
    const agree = wanted.filter((k, i) => nearest(i) === k).length / n;
    assert.ok(agree >= 0.9, `agreement ${agree}`);
  });
});

describe('InfoGAN', () => {
  const cfg = (weight: number): ValidTrainConfig =>
    resolveTrainConfig(
      tinyConfig({
        generator: sequential(Linear(16), ReLU(), Linear(2)),
        discriminator: withHeads(sequential(Linear(16), LeakyReLU(0.2)), [Linear(1), Linear(4), Linear(1)]),
        infogan: { categorical: [4], continuous: 1, weight },
        optimizers: { g: { name: 'adam', lr: 1e-2, b1: 0.5 }, d: { name: 'adam', lr: 1e-2, b1: 0.5 } },
      }),
    );

  it('appends the codes to z: G\'s input is latent.dim + Σ categorical + continuous wide', () => {
    const c = cfg(1);
    assert.equal(c.gInputDim, 3 + 4 + 1);
    const z = drawRandomness(c, key(0), 5).zG;
    assert.deepEqual(z.shape, [5, 8]);
    for (let n = 0; n < 5; n++) assert.equal([...z.data.slice(n * 8 + 3, n * 8 + 7)].reduce((a, v) => a + v, 0), 1);
  });

  it('the mutual-information loss falls in a short run (G and Q both minimise it) and not without its weight', () => {
    const run = (weight: number): [number, number] => {
      const c = cfg(weight);
      const step = makeTrainStep(c);
      let s = initTrainState(c, key(4));
      const probe = drawRandomness(c, key(5), 64);
      const info = (st: TrainState) => readMetrics(gStep(c, st, { z: probe.zG })[1]).info_g!;
      const first = info(s);
      for (let i = 0; i < 80; i++) [s] = step(s, { real: realBatches(i, 1, 16) }, key(200 + i));
      return [first, info(s)];
    };
    const [first, last] = run(1);
    assert.ok(last < 0.5 * first, `L_I ${first} → ${last}`);
    const [first0, last0] = run(0);
    assert.ok(last0 > 0.8 * first0, `with weight 0, L_I ${first0} → ${last0}`);
  });

  it('the Q head is updated by D\'s optimiser in the D step, and G\'s gradient includes the MI term', () => {
    const c = cfg(1);
    const c0 = cfg(0);
    const s = initTrainState(c, key(6));
    const rnd = drawRandomness(c, key(7), 8);
    const qHead = (st: TrainState) => bitsOf((st.d.params as { heads: unknown[] }).heads[1]);
    const [afterD] = dStep(c, s, { real: realBatches(1, 1, 8)[0]!, z: rnd.zD[0]! });
    const [afterD0] = dStep(c0, s, { real: realBatches(1, 1, 8)[0]!, z: rnd.zD[0]! });
    assert.notDeepEqual(qHead(afterD), qHead(s));
    assert.deepEqual(qHead(afterD0), qHead(s), 'the Q head changed without the MI term');
    const [g1] = gStep(c, s, { z: rnd.zG });
    const [g0] = gStep(c0, s, { z: rnd.zG });
    assert.notDeepEqual(bitsOf(g1.g.params), bitsOf(g0.g.params));
    assert.deepEqual(bitsOf(g1.d.params), bitsOf(s.d.params), 'the G step changed D (and Q)');
  });
});

describe('noisy labels and label flipping', () => {
  it('per-sample targets all 0.8 give the loss of one-sided smoothing at 0.8', () => {
    const noisy = resolveTrainConfig(tinyConfig({ loss: 'minimax', noisyLabels: { real: [0.8, 0.8] } }));
    const smooth = resolveTrainConfig(tinyConfig({ loss: 'minimax', regularizers: { labelSmoothing: 0.8 } }));
    const s = initTrainState(smooth, key(0));
    const [real] = realBatches(0, 1);
    const z = normal(key(1), [4, 3]);
    const [, a] = dStep(noisy, s, { real: real!, z, targets: { real: full([4], 0.8), fake: full([4], 0) } });
    const [, b] = dStep(smooth, s, { real: real!, z });
    assertClose(item(a.d_loss!), item(b.d_loss!), 1e-6);
  });

  it('the D loss uses each sample\'s own target: t·softplus(−x) + (1 − t)·softplus(x), by hand in float64', () => {
    const c = resolveTrainConfig(tinyConfig({ loss: 'nonsaturating', noisyLabels: { real: [0.7, 1] } }));
    const s = initTrainState(c, key(0));
    const [real] = realBatches(0, 1);
    const z = normal(key(1), [4, 3]);
    const targets = { real: tensor([4], [0.7, 0.8, 0.9, 1]), fake: tensor([4], [0, 0.1, 0, 0.2]) };
    const [, m] = dStep(c, s, { real: real!, z, targets });
    const r = c.discriminator.apply(s.d.params, s.d.state, real!, { train: true })[0].data;
    const fake = c.generator.apply(s.g.params, s.g.state, z, { train: true })[0];
    const f = c.discriminator.apply(s.d.params, s.d.state, fake, { train: true })[0].data;
    const sp = (x: number) => Math.log1p(Math.exp(x));
    const bce = (x: ArrayLike<number>, t: ArrayLike<number>) => Array.from(x).reduce((a, v, i) => a + t[i]! * sp(-v) + (1 - t[i]!) * sp(v), 0) / 4;
    assertClose(item(m.d_loss!), bce(r, targets.real.data) + bce(f, targets.fake.data), 1e-5);
  });

  it('drawn targets lie in their ranges, and flipping with probability 1 swaps every target', () => {
    const c = resolveTrainConfig(tinyConfig({ noisyLabels: { real: [0.7, 0.9], fake: [0, 0.2] } }));
    const t = drawRandomness(c, key(3), 50).targets![0]!;
    assert.ok([...t.real.data].every((v) => v >= 0.7 && v <= 0.9) && [...t.fake.data].every((v) => v >= 0 && v <= 0.2));
    const flipped = resolveTrainConfig(tinyConfig({ noisyLabels: { real: [0.7, 0.9], fake: [0, 0.2] }, labelFlip: { probability: 1 } }));
    const tf = drawRandomness(flipped, key(3), 50).targets![0]!;
    assert.ok([...tf.real.data].every((v) => v <= 0.2) && [...tf.fake.data].every((v) => v >= 0.7));
  });

  it('flipping with probability 0.3 flips about 30% of the targets', () => {
    const c = resolveTrainConfig(tinyConfig({ labelFlip: { probability: 0.3 } }));
    const t = drawRandomness(c, key(4), 2000).targets![0]!;
    const share = [...t.real.data].filter((v) => v === 0).length / 2000;
    assert.ok(Math.abs(share - 0.3) < 0.04, `flipped ${share}`);
  });
});

describe('instance noise', () => {
  it('D judges real + σ(t)·ε and fake + σ(t)·ε\', σ from the schedule of the step', () => {
    const sigma = linearSchedule({ init: 1, end: 0, transitionSteps: 10 });
    const c = resolveTrainConfig(tinyConfig({ instanceNoise: { sigma } }));
    const s0 = initTrainState(c, key(0));
    const s = { ...s0, step: tensor([], [4]) };
    const [real] = realBatches(0, 1);
    const z = normal(key(1), [4, 3]);
    const noise = { real: normal(key(2), [4, 2]), fake: normal(key(3), [4, 2]) };
    const [, m] = dStep(c, s, { real: real!, z, noise });
    assertClose(item(m.instance_noise!), 0.6, 1e-6);
    const dOn = (x: Tensor) => ops.mean(c.discriminator.apply(s.d.params, s.d.state, x, { train: true })[0]);
    assertClose(item(m.d_real!), item(dOn(ops.add(real!, ops.mul(noise.real, 0.6)))), 1e-6);
    const fake = c.generator.apply(s.g.params, s.g.state, z, { train: true })[0];
    assertClose(item(m.d_fake!), item(dOn(ops.add(fake, ops.mul(noise.fake, 0.6)))), 1e-6);
  });
});

describe('replay buffer in the step', () => {
  it('with fraction 1 and a full buffer, D trains on the buffer\'s fakes, and the fresh ones are written into it', () => {
    const c = resolveTrainConfig(tinyConfig({ replay: { capacity: 4, fraction: 1 } }));
    const s0 = initTrainState(c, key(0));
    const s = { ...s0, replay: { items: full([4, 2], 7), filled: tensor([], [4]), next: tensor([], [1]) } };
    const z = normal(key(1), [3, 3]);
    const [next, m] = dStep(c, s, { real: normal(key(5), [3, 2]), z, replayPick: tensor([3], [0.1, 0.5, 0.9]) });
    const d7 = item(ops.mean(c.discriminator.apply(s.d.params, s.d.state, full([3, 2], 7), { train: true })[0]));
    assertClose(item(m.d_fake!), d7, 1e-6);
    const fresh = c.generator.apply(s.g.params, s.g.state, z, { train: true })[0].data;
    assert.deepEqual([...next.replay!.items.data], [7, 7, ...fresh]);
    assert.equal(item(next.replay!.filled), 4);
    assert.equal(item(next.replay!.next), 0);
  });
});

describe('EMA of G', () => {
  const c = resolveTrainConfig(tinyConfig({ generator: sequential(Linear(8), BatchNorm(), ReLU(), Linear(2)), ema: { decay: 0.9, start: 2 } }));

  it('follows ema ← decay·ema + (1 − decay)·params from the start step on, and equals params before it (float64 by hand)', () => {
    const step = makeTrainStep(c);
    let s = initTrainState(c, key(0));
    const leaf = (st: TrainState) => (st.g.params as [{ weight: Tensor }])[0].weight.data;
    let want = Array.from(leaf(s));
    for (let i = 0; i < 5; i++) {
      const t = item(s.step);
      [s] = step(s, { real: realBatches(i, 1) }, key(10 + i));
      const p = Array.from(leaf(s));
      want = t >= 2 ? want.map((e, j) => 0.9 * e + 0.1 * p[j]!) : p;
      assertClose((s.ema!.params as [{ weight: Tensor }])[0].weight.data, want, 1e-5, `ema after iteration ${i}`);
    }
  });

  it('sampling uses the EMA params with the live G\'s batch-norm running statistics by default', () => {
    const step = makeTrainStep(c);
    let s = initTrainState(c, key(0));
    for (let i = 0; i < 4; i++) [s] = step(s, { real: realBatches(i, 1) }, key(10 + i));
    const z = normal(key(3), [5, 3]);
    const viaEma = c.generator.apply(s.ema!.params, s.g.state, z, { train: false })[0];
    assert.deepEqual([...sampleGenerator(c, s, z).data], [...viaEma.data]);
    assert.notDeepEqual([...sampleGenerator(c, s, z, { ema: false }).data], [...viaEma.data]);
    const bn = (s.g.state as unknown[])[1] as { runningMean: Tensor };
    assert.notDeepEqual([...bn.runningMean.data], [0, 0, 0, 0, 0, 0, 0, 0], 'the live running statistics never moved');
  });
});

describe('PacGAN in the step', () => {
  it('D\'s input has m·C channels and D returns N/m outputs', () => {
    const c = resolveTrainConfig(tinyConfig({ pack: 2 }));
    const s = initTrainState(c, key(0));
    const inner = (s.d.params as [unknown, [{ weight: Tensor }]])[1];
    assert.deepEqual(inner[0].weight.shape, [8, 4]);
    const [real] = realBatches(0, 1);
    const out = c.discriminator.apply(s.d.params, s.d.state, real!, { train: true })[0];
    assert.deepEqual(out.shape, [2, 1]);
    const [, m] = makeTrainStep(c)(s, { real: [real!] }, key(1));
    assert.equal(readMetrics(m).finite, 1);
  });

  /** Rows 2k and 2k + 1 of `[N, 2]` side by side, `[N/2, 4]`, on the host (independent of Pack). */
  const pairUp = (x: Tensor): Tensor => {
    const n = x.shape[0]! / 2;
    return tensor([n, 4], Float32Array.from({ length: 4 * n }, (_, i) => x.data[4 * Math.floor(i / 4) + (i % 4)]!));
  };
  const softplus = (v: number): number => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
  const meanOf = (xs: ArrayLike<number>, f: (v: number) => number = (v) => v): number => Array.from(xs, f).reduce((a, v) => a + v, 0) / xs.length;

  it('the D step packs the real and the fake batch alike, consecutive samples per pack: its loss is the unpacked D on hand-made pairs', () => {
    const inner = sequential(Linear(8), LeakyReLU(0.2), Linear(1));
    const c = resolveTrainConfig(tinyConfig({ pack: 2, discriminator: inner }));
    const s = initTrainState(c, key(0));
    const [real] = realBatches(4, 1, 6);
    const z = normal(key(5), [6, 3]);
    const [, m] = dStep(c, s, { real: real!, z });
    const fake = c.generator.apply(s.g.params, s.g.state, z, { train: true })[0];
    const dParams = (s.d.params as unknown[])[1] as readonly unknown[];
    const dState = (s.d.state as unknown[])[1] as readonly unknown[];
    const r = inner.apply(dParams, dState, pairUp(real!), { train: true })[0].data;
    const f = inner.apply(dParams, dState, pairUp(fake), { train: true })[0].data;
    assert.equal(r.length, 3);
    const got = readMetrics(m);
    assertClose(got.d_real!, meanOf(r), 1e-5, 'd_real');
    assertClose(got.d_fake!, meanOf(f), 1e-5, 'd_fake');
    assertClose(got.d_loss!, meanOf(r, (v) => softplus(-v)) + meanOf(f, softplus), 1e-5, 'd_loss');
  });

  it('the G step judges G\'s samples in packs of consecutive pairs: g_loss is E[softplus(−D(pair))] of the unpacked D', () => {
    const inner = sequential(Linear(8), LeakyReLU(0.2), Linear(1));
    const c = resolveTrainConfig(tinyConfig({ pack: 2, discriminator: inner }));
    const s = initTrainState(c, key(0));
    const z = normal(key(6), [6, 3]);
    const [, m] = gStep(c, s, { z });
    const fake = c.generator.apply(s.g.params, s.g.state, z, { train: true })[0];
    const f = inner.apply((s.d.params as unknown[])[1] as readonly unknown[], (s.d.state as unknown[])[1] as readonly unknown[], pairUp(fake), { train: true })[0].data;
    assertClose(readMetrics(m).g_loss!, meanOf(f, (v) => softplus(-v)), 1e-5, 'g_loss');
  });
});

describe('DiffAugment in the step', () => {
  it('the step hands D a key per phase: an augmenting D trains, the same key repeats the iteration and another changes it', () => {
    const c = resolveTrainConfig({
      generator: sequential(Linear(16), ReLU(), Linear(16), Reshape([1, 4, 4])) as AnyLayer,
      discriminator: sequential(DiffAugment(), Flatten(), Linear(8), LeakyReLU(0.2), Linear(1)) as AnyLayer,
      latent: { dim: 3, prior: 'normal' },
      dataShape: [1, 4, 4],
      loss: 'hinge',
      optimizers: { g: { name: 'adam', lr: 1e-3 }, d: { name: 'adam', lr: 1e-3 } },
    });
    const step = makeTrainStep(c);
    const s = initTrainState(c, key(0));
    const batch = { real: [normal(key(1), [4, 1, 4, 4])] };
    const rnd = drawRandomness(c, key(2), 4);
    const [a, ma] = step(s, batch, rnd);
    assert.equal(readMetrics(ma).finite, 1);
    assert.deepEqual(bitsOf(step(s, batch, rnd)[0]), bitsOf(a));
    const other = { ...rnd, layerKeys: drawRandomness(c, key(3), 4).layerKeys! };
    assert.notDeepEqual(bitsOf(step(s, batch, other)[0]), bitsOf(a));
  });
});

describe('traceability of the techniques', () => {
  it('an iteration with conditioning, ACGAN, noisy labels with flipping, instance noise, EMA runs without reading tensor data, bit for bit as eager', () => {
    const c = resolveTrainConfig(
      tinyConfig({
        generator: conditionalG(),
        discriminator: withHeads(sequential(Linear(8), LeakyReLU(0.2)), [Linear(1), Linear(3)]),
        loss: 'minimax',
        conditioning: { classes: 3 },
        acgan: { weight: 0.5 },
        noisyLabels: { real: [0.8, 1] },
        labelFlip: { probability: 0.1 },
        instanceNoise: { sigma: linearSchedule({ init: 0.5, end: 0, transitionSteps: 100 }) },
        ema: { decay: 0.99 },
        nDis: 2,
      }),
    );
    const state = initTrainState(c, key(0));
    const [a, b] = [classBatch(1, 6), classBatch(2, 6)];
    const batch = { real: [a.real, b.real], labels: [a.labels, b.labels] };
    const rnd = drawRandomness(c, key(1), 6);
    const core = makeTrainCore(c);
    assert.deepEqual(bitsOf(callWithoutData(core, state, batch, rnd)), bitsOf(core(state, batch, rnd)));
  });

  it('an iteration with InfoGAN, replay and packing runs without reading tensor data, bit for bit as eager', () => {
    const info = resolveTrainConfig(
      tinyConfig({ discriminator: withHeads(sequential(Linear(8), LeakyReLU(0.2)), [Linear(1), Linear(2), Linear(1)]), infogan: { categorical: [2], continuous: 1, weight: 1 } }),
    );
    const packed = resolveTrainConfig(tinyConfig({ pack: 2, replay: { capacity: 6, fraction: 0.5 } }));
    for (const c of [info, packed]) {
      const state = initTrainState(c, key(0));
      const batch = { real: realBatches(3, 1) };
      const rnd = drawRandomness(c, key(1), 4);
      const core = makeTrainCore(c);
      assert.deepEqual(bitsOf(callWithoutData(core, state, batch, rnd)), bitsOf(core(state, batch, rnd)));
    }
  });
});

