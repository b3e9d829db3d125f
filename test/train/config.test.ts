import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../../src/core/errors.js';
import { key } from '../../src/core/random.js';
import { GAN_LOSSES } from '../../src/losses/gan.js';
import { Linear, sequential, Tanh } from '../../src/nn/index.js';
import { adam, linearSchedule } from '../../src/optim/index.js';
import { validateTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { makeTrainStep } from '../../src/train/iteration.js';
import { initTrainState } from '../../src/train/state.js';
import { bitsOf, realBatches, tinyConfig } from '../helpers/tiny_gan.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';

useBackend(referenceBackend);

const problemsOf = (config: TrainConfig): readonly string[] => {
  const r = validateTrainConfig(config);
  assert.ok(E.isLeft(r), 'expected the config to be rejected');
  assert.ok(r.left instanceof ConfigError);
  return r.left.problems;
};

describe('validateTrainConfig', () => {
  it('accepts a valid config and resolves its defaults, the loss by name and the optimiser specs', () => {
    const r = validateTrainConfig(tinyConfig({ optimizers: { g: adam(1e-3), d: { name: 'rmsprop', lr: 5e-5 } } }));
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.equal(r.right.nDis, 1);
    assert.equal(r.right.order, 'd-first');
    assert.equal(r.right.loss, GAN_LOSSES.nonsaturating);
    assert.equal(r.right.realLabel, 1);
    assert.equal(typeof r.right.optimizers.d.update, 'function');
  });

  it('lists every problem at once: unknown loss, nDis < 1, negative learning rate, shape mismatch, smoothing outside (0, 1]', () => {
    const problems = problemsOf(
      tinyConfig({
        generator: sequential(Linear(3), Tanh()),
        loss: 'wgan' as never,
        nDis: 0,
        regularizers: { labelSmoothing: 1.5 },
        optimizers: { g: { name: 'adam', lr: -1e-3 }, d: { name: 'adam', lr: 1e-3 } },
      }),
    );
    const text = problems.join('\n');
    assert.match(text, /loss: unknown GAN loss "wgan"; expected one of: minimax, nonsaturating/);
    assert.match(text, /nDis: must be an integer >= 1, got 0/);
    assert.match(text, /optimizers\.g\.lr: the learning rate must be a finite number >= 0, got -0\.001/);
    assert.match(text, /generator: its output per sample is \[3\] but dataShape \(the discriminator's input\) is \[2\]/);
    assert.match(text, /regularizers\.labelSmoothing: the real target must be in \(0, 1\], got 1\.5/);
    assert.equal(problems.length, 5);
  });

  it('rejects a smoothing target of 0 and smoothing on a loss without a real label', () => {
    assert.match(problemsOf(tinyConfig({ regularizers: { labelSmoothing: 0 } })).join(), /must be in \(0, 1\], got 0/);
    assert.match(problemsOf(tinyConfig({ loss: 'hinge', regularizers: { labelSmoothing: 0.9 } })).join(), /hinge loss has no real label/);
  });

  it('names bad optimiser specs, regulariser weights and a discriminator that cannot take the data shape', () => {
    const text = problemsOf(
      tinyConfig({
        discriminator: sequential(Linear(4, { bias: true })),
        dataShape: [1, 2, 2],
        generator: sequential(Linear(4)),
        order: 'sideways' as never,
        latent: { dim: 0, prior: 'cauchy' as never },
        regularizers: { gradientPenalty: { weight: -1 }, r1: { weight: Number.NaN }, weightClip: { c: 0 } },
        optimizers: { g: { name: 'adagrad' as never, lr: 1 }, d: { name: 'adam', lr: 1e-3, b1: 1.5 } },
      }),
    ).join('\n');
    assert.match(text, /order: expected 'd-first' or 'g-first', got "sideways"/);
    assert.match(text, /latent\.dim: must be an integer >= 1, got 0/);
    assert.match(text, /latent\.prior: expected 'normal' or 'uniform', got "cauchy"/);
    assert.match(text, /regularizers\.gradientPenalty\.weight: must be a finite number >= 0, got -1/);
    assert.match(text, /regularizers\.r1\.weight: must be a finite number >= 0, got NaN/);
    assert.match(text, /regularizers\.weightClip\.c: must be a finite number > 0, got 0/);
    assert.match(text, /optimizers\.g\.name: unknown optimiser "adagrad"/);
    assert.match(text, /optimizers\.d: Adam betas must be in \[0, 1\)/);
    assert.doesNotMatch(text, /discriminator: init/, 'the shape check waits for a valid latent size');
    const shapes = problemsOf(tinyConfig({ discriminator: sequential(Linear(4)), dataShape: [1, 2, 2], generator: sequential(Linear(4)) })).join('\n');
    assert.match(shapes, /discriminator: init on dataShape \[1, 2, 2\] failed: Linear\(4\) expects input/);
    assert.match(shapes, /generator: its output per sample is \[4\] but dataShape/);
  });

  it('names misspelt keys of the config, its regularizers and optimiser specs', () => {
    const text = problemsOf({
      ...tinyConfig({ regularizers: { gradientPenalty: { weight: 10, onesided: true } as never, R1: { weight: 1 } } as never, optimizers: { g: { name: 'adam', lr: 1e-3, beta1: 0.5 } as never, d: { name: 'sgd', lr: 1 } } }),
      ndis: 5,
    } as never).join('\n');
    assert.match(text, /^ndis: unknown key; expected one of: generator, discriminator/m);
    assert.match(text, /regularizers\.R1: unknown key; expected one of: gradientPenalty, r1, r2, weightClip, labelSmoothing/);
    assert.match(text, /regularizers\.gradientPenalty\.onesided: unknown key; expected one of: weight, target, oneSided/);
    assert.match(text, /optimizers\.g\.beta1: unknown key; expected one of: name, lr, b1, b2, eps, epsRoot/);
  });

  it('makeTrainStep and initTrainState throw the ConfigError before any step runs', () => {
    const bad = tinyConfig({ nDis: 1.5 });
    assert.throws(() => makeTrainStep(bad), (e: unknown) => e instanceof ConfigError && /nDis: must be an integer >= 1, got 1\.5/.test(e.message));
    assert.throws(() => initTrainState(bad, key(0)), ConfigError);
  });

  it('a learning rate given as a schedule spec trains as the same schedule built in code, bit for bit (and not as its initial value)', () => {
    const spec = { schedule: 'linear', init: 1e-2, end: 1e-3, transitionSteps: 3 } as const;
    const run = (g: TrainConfig['optimizers']['g']): string[] => {
      const c = tinyConfig({ optimizers: { g, d: { name: 'adam', lr: 1e-3 } } });
      const step = makeTrainStep(c);
      let s = initTrainState(c, key(0));
      for (let i = 0; i < 4; i++) [s] = step(s, { real: realBatches(i, 1) }, key(10 + i));
      return bitsOf(s);
    };
    const fromSpec = run({ name: 'adam', lr: spec, b1: 0.5 });
    assert.deepEqual(fromSpec, run(adam(linearSchedule(spec), { b1: 0.5 })));
    assert.notDeepEqual(fromSpec, run({ name: 'adam', lr: 1e-2, b1: 0.5 }));
  });

  it('lists the problems of both players\' schedule specs with the rest of the config', () => {
    const text = problemsOf(
      tinyConfig({
        nDis: 0,
        optimizers: { g: { name: 'adam', lr: { schedule: 'step', init: 1 } as never }, d: { name: 'sgd', lr: { schedule: 'cosine', init: 1, decaySteps: -10 } } },
      }),
    ).join('\n');
    assert.match(text, /^optimizers\.g\.lr\.schedule: unknown schedule "step"/m);
    assert.match(text, /^optimizers\.d\.lr\.decaySteps: expected an integer >= 1 \(steps\), got -10$/m);
    assert.match(text, /^nDis: must be an integer >= 1, got 0$/m);
  });
});
