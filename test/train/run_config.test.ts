import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { key } from '../../src/core/random.js';
import { ring8, sampleMixture } from '../../src/data/gaussians.js';
import { fit } from '../../src/train/loop.js';
import { PRESETS, PRESET_NAMES } from '../../src/train/presets.js';
import { mergeConfig, resolveRunConfig, runConfigDifferences, type RunConfig } from '../../src/train/run_config.js';

useBackend(referenceBackend);

const problemsOf = (x: unknown): readonly string[] => {
  const r = resolveRunConfig(x);
  assert.ok(E.isLeft(r), 'expected the config to be refused');
  return r.left.problems;
};

describe('presets', () => {
  it('every preset resolves, with a one-line description and G output equal to the data shape', () => {
    for (const name of PRESET_NAMES) {
      const r = resolveRunConfig(PRESETS[name]);
      assert.ok(E.isRight(r), `${name}: ${E.isLeft(r) ? r.left.message : ''}`);
      assert.equal(r.right.run.preset, name);
      assert.ok(r.right.run.description.length > 10 && !r.right.run.description.includes('\n'));
    }
  });

  it('mnist-dcgan is non-saturating with batch norm and Adam 2e-4 (0.5, 0.999); mnist-sngan hinge + SN with Adam (0, 0.9) and an EMA of G', () => {
    const dc = PRESETS['mnist-dcgan']!;
    assert.equal(dc.loss, 'nonsaturating');
    assert.deepEqual(dc.optimizers.g, { name: 'adam', lr: 2e-4, b1: 0.5, b2: 0.999 });
    assert.ok(dc.generator.some((l) => l.type === 'batch_norm') && dc.discriminator.some((l) => l.type === 'batch_norm'));
    const sn = PRESETS['mnist-sngan']!;
    assert.equal(sn.loss, 'hinge');
    assert.deepEqual(sn.optimizers.d, { name: 'adam', lr: 3.2e-3, b1: 0, b2: 0.9 });
    assert.deepEqual(sn.optimizers.g, sn.optimizers.d);
    assert.deepEqual(sn.ema, { decay: 0.999, start: 1000 });
    const resolved = resolveRunConfig(sn);
    assert.ok(E.isRight(resolved) && resolved.right.train.techniques.ema !== undefined, 'the resolved train config keeps the EMA');
    assert.ok(sn.discriminator.filter((l) => 'in' in l).every((l) => l.spectral_norm === true));
    assert.deepEqual(sn.discriminator.slice(-4).map((l) => l.type), ['flatten', 'linear', 'leaky_relu', 'linear'], 'a fully connected layer between the feature map and the logit');
    assert.deepEqual([sn.discriminator.at(-3)!['in'], sn.discriminator.at(-3)!['out'], sn.discriminator.at(-1)!['in']], [3136, 128, 128]);
    assert.ok(!sn.discriminator.some((l) => l.type === 'batch_norm'), 'no batch norm in the SN-GAN D');
  });
});

describe('mnist-acgan', () => {
  it('is class-conditional over the 10 digits: G takes [N, 64] latents with labels to [N, 1, 28, 28], D outputs [N, 1 + 10]', () => {
    const r = resolveRunConfig(PRESETS['mnist-acgan']);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const { generator: G, discriminator: D, techniques } = r.right.train;
    assert.equal(techniques.classes, 10);
    assert.equal(techniques.acganWeight, 1);
    assert.equal(techniques.acganFakeWeight, 0);
    assert.deepEqual(G.init(key(0), [64]).outputShape, [1, 28, 28]);
    assert.deepEqual(D.init(key(1), [1, 28, 28]).outputShape, [11]);
  });

  it('is the DCGAN trunk with batch norm and no hidden layer: both heads read its 64·49 features', () => {
    const { discriminator, heads } = PRESETS['mnist-acgan']!;
    assert.deepEqual(discriminator.map((l) => l.type), ['conv2d', 'leaky_relu', 'conv2d', 'batch_norm', 'leaky_relu', 'flatten']);
    assert.deepEqual(heads!.map((h) => [h[0]!['in'], h[0]!['out']]), [[64 * 49, 1], [64 * 49, 10]]);
  });

  it('lists bad conditioning, acgan and heads fields together, and conditioning on unlabelled data', () => {
    const p = problemsOf({
      ...PRESETS['gaussians-8'],
      conditioning: { classes: 10, extra: 1 },
      acgan: { weight: 'big' },
      heads: [[{ type: 'linear', in: 128 }]],
    });
    assert.ok(p.some((x) => x.startsWith('conditioning.extra: unknown field')), p.join('\n'));
    assert.ok(p.some((x) => x.startsWith('acgan.weight: expected a number')), p.join('\n'));
    assert.ok(p.some((x) => x.startsWith('heads[0][0].out: missing')), p.join('\n'));
    assert.ok(p.some((x) => x.startsWith('conditioning: needs labelled data')), p.join('\n'));
  });

  it('refuses ACGAN whose D heads do not give 1 + classes outputs', () => {
    const heads = [[{ type: 'linear', in: 32 * 2 * 49, out: 1 }], [{ type: 'linear', in: 32 * 2 * 49, out: 9 }]];
    assert.ok(problemsOf({ ...PRESETS['mnist-acgan'], heads }).some((x) => x.startsWith('discriminator: with ACGAN/InfoGAN heads its output per sample must be [11]')));
  });

  it('a label_embedding layer spec refuses a missing dim', () => {
    const generator = [{ type: 'label_embedding', classes: 10 }, ...PRESETS['mnist-dcgan']!.generator];
    assert.ok(problemsOf({ ...PRESETS['mnist-acgan'], generator }).some((x) => x === 'generator[0].dim: missing (an integer >= 1)'));
  });
});

describe('mnist-infogan', () => {
  it('appends a 10-value categorical and 2 continuous codes to z: G takes [N, 64 + 12], D\'s trunk feeds the logit and a Q head: [N, 1 + 10 + 2]', () => {
    const r = resolveRunConfig(PRESETS['mnist-infogan']);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const { generator: G, discriminator: D, techniques, gInputDim } = r.right.train;
    assert.deepEqual(techniques.infogan, { categorical: [10], continuous: 2, weight: 2 });
    assert.equal(gInputDim, 76);
    assert.deepEqual(G.init(key(0), [76]).outputShape, [1, 28, 28]);
    assert.deepEqual(D.init(key(1), [1, 28, 28]).outputShape, [13]);
    const trunk = (D.init(key(1), [1, 28, 28]).params as { trunk: unknown; heads: unknown[] });
    assert.ok(trunk.trunk !== undefined && trunk.heads.length === 2, 'Q is a head on the trunk D\'s logit uses');
  });

  it('has the paper\'s fully connected layer in G (after the codes) and in D (before the heads), with batch norm', () => {
    const { generator, discriminator, heads } = PRESETS['mnist-infogan']!;
    assert.deepEqual(generator.slice(0, 4).map((l) => l.type), ['linear', 'batch_norm', 'relu', 'linear']);
    assert.deepEqual([generator[0]!['in'], generator[0]!['out'], generator[3]!['in']], [76, 1024, 1024]);
    assert.deepEqual(discriminator.slice(-3).map((l) => l.type), ['linear', 'batch_norm', 'leaky_relu']);
    assert.equal(discriminator.at(-3)!['out'], 1024);
    assert.ok(heads!.every((h) => h[0]!['in'] === 1024), 'both heads read the 1,024 hidden units');
  });

  it('lists bad infogan, ema and replay fields with the other problems', () => {
    const p = problemsOf({ ...PRESETS['mnist-infogan'], infogan: { categorical: 10, continuous: 2, weight: 1, lambda: 2 }, ema: { decay: 'high' }, replay: { capacity: 8 } });
    for (const want of [/^infogan\.lambda: unknown field; expected: weight, categorical, continuous/, /^infogan\.categorical: expected a list of numbers, got 10/, /^ema\.decay: expected a number, got "high"/, /^replay\.fraction: expected a number, got undefined/]) {
      assert.ok(p.some((x) => want.test(x)), `${want} in:\n${p.join('\n')}`);
    }
  });

  it('refuses InfoGAN heads that do not give 1 + 10 + 2 outputs, naming the layout', () => {
    const heads = [[{ type: 'linear', in: 32 * 2 * 49, out: 1 }], [{ type: 'linear', in: 32 * 2 * 49, out: 10 }]];
    assert.ok(problemsOf({ ...PRESETS['mnist-infogan'], heads }).some((x) => x.includes('must be [13] (1 logit, 0 classes, 10 categorical, 2 continuous')));
  });
});

describe('InfoGAN through fit', () => {
  /** A 2-D run: a 4-value categorical and 1 continuous code, an MLP D trunk with the logit and Q (4 + 1) heads. */
  const tiny = (weight: number): unknown => ({
    ...PRESETS['gaussians-8'],
    latent: { dim: 2, prior: 'normal' },
    generator: [{ type: 'linear', in: 7, out: 32 }, { type: 'relu' }, { type: 'linear', in: 32, out: 2 }],
    discriminator: [{ type: 'linear', in: 2, out: 32 }, { type: 'leaky_relu', slope: 0.2 }],
    heads: [[{ type: 'linear', in: 32, out: 1 }], [{ type: 'linear', in: 32, out: 5 }]],
    infogan: { categorical: [4], continuous: 1, weight },
    optimizers: { g: { name: 'adam', lr: 5e-3, b1: 0.5 }, d: { name: 'adam', lr: 5e-3, b1: 0.5 } },
  });
  /** Mean of G's L_I over the first and the last 5 of 60 steps. */
  async function infoLoss(weight: number): Promise<[number, number]> {
    const r = resolveRunConfig(tiny(weight));
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const info: number[] = [];
    await fit({ config: r.right.train, data: { x: sampleMixture(ring8, key(1), 256) }, steps: 60, batchSize: 32, key: key(0), hooks: { onLog: (e) => void info.push(e.metrics.info_g!) } });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    return [mean(info.slice(0, 5)), mean(info.slice(-5))];
  }

  it('training a run config with infogan lowers the mutual-information loss L_I (G and Q minimise it); with weight 0 it stays', async () => {
    const [first, last] = await infoLoss(1);
    assert.ok(last < 0.6 * first, `L_I ${first} → ${last}`);
    const [first0, last0] = await infoLoss(0);
    assert.ok(last0 > 0.8 * first0, `with weight 0, L_I ${first0} → ${last0}`);
  });
});

describe('mergeConfig', () => {
  it('merges objects key by key and replaces arrays and scalars whole', () => {
    assert.deepEqual(mergeConfig({ a: { b: 1, c: 2 }, d: [1, 2, 3], e: 1 }, { a: { c: 5 }, d: [9], e: 'x' }), { a: { b: 1, c: 5 }, d: [9], e: 'x' });
  });

  it('replaces a schedule spec whole instead of mixing the fields of two schedules', () => {
    const linear = { schedule: 'linear', init: 1e-3, end: 0, transitionSteps: 10 };
    const cosine = { schedule: 'cosine', init: 2e-3, decaySteps: 50 };
    assert.deepEqual(mergeConfig({ g: { name: 'adam', lr: linear } }, { g: { lr: cosine } }), { g: { name: 'adam', lr: cosine } });
  });

  it('does not pollute Object.prototype through a __proto__ key of a JSON file', () => {
    const merged = mergeConfig({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.ok(problemsOf({ ...PRESETS['gaussians-8'], ...merged }).length >= 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('resolveRunConfig', () => {
  it('lists every problem at once: unknown fields, bad numbers, bad data, bad layers, bad loss', () => {
    const bad = mergeConfig(PRESETS['gaussians-8'], {
      stepz: 3,
      batchSize: 0,
      steps: -1,
      every: { sample: 1.5, often: 2 },
      data: { mixture: 'ring9' },
      loss: 'nope',
      generator: [{ type: 'linear', in: 2 }, { type: 'warp' }],
    });
    const p = problemsOf(bad);
    for (const want of [
      /^stepz: unknown field/,
      /^batchSize: expected an integer >= 1, got 0/,
      /^steps: expected an integer >= 0, got -1/,
      /^every\.often: unknown field/,
      /^every\.sample: expected an integer >= 0, got 1\.5/,
      /^data\.mixture: expected ring8, grid25 or grid100, got "ring9"/,
      /^loss: expected one of: .*got "nope"/,
      /^generator\[0\]\.out: missing/,
      /^generator\[1\]\.type: unknown layer type "warp"/,
    ]) {
      assert.ok(p.some((x) => want.test(x)), `${want} in:\n${p.join('\n')}`);
    }
  });

  it('reports a generator whose output is not the data shape', () => {
    const wrong = mergeConfig(PRESETS['gaussians-8'], { generator: [{ type: 'linear', in: 2, out: 3 }] });
    assert.ok(problemsOf(wrong).some((p) => /output per sample is \[3\] but dataShape .* is \[2\]/.test(p)));
  });

  it('reports a negative learning rate from the train config validation', () => {
    const neg = mergeConfig(PRESETS['gaussians-8'], { optimizers: { d: { lr: -1 } } });
    assert.ok(problemsOf(neg).some((p) => /optimizers\.d\.lr: the learning rate must be a finite number >= 0, got -1/.test(p)));
  });
});

describe('runConfigDifferences', () => {
  const base = PRESETS['gaussians-8']!;
  it('is empty when only steps, seed, intervals and descriptions differ', () => {
    const later = mergeConfig(base, { steps: 99, seed: 4, every: { sample: 7 }, description: 'x' }) as RunConfig;
    assert.deepEqual(runConfigDifferences(base, later), []);
  });

  it('names each architecture, optimiser and batch difference by path', () => {
    const lr = { schedule: 'linear', init: 5e-4, end: 0, transitionSteps: 4000 };
    const other = mergeConfig(base, { nDis: 3, batchSize: 8, optimizers: { g: { lr } }, latent: { dim: 4 } }) as RunConfig;
    assert.deepEqual(runConfigDifferences(base, other).sort(), ['batchSize: 128 → 8', 'latent.dim: 8 → 4', 'nDis: 1 → 3', 'optimizers.g.lr.init: 0.002 → 0.0005'].sort());
  });
});
