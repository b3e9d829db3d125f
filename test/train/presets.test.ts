import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { key } from '../../src/core/random.js';
import { stateDictEntries } from '../../src/io/state_dict.js';
import { PRESETS } from '../../src/train/presets.js';
import { resolveRunConfig } from '../../src/train/run_config.js';
import { treeFlatten, treeLeaves, treeUnflatten } from '../../src/core/pytree.js';
import type { Tensor } from '../../src/core/tensor.js';
import { grid100, grid25, ring8, sampleMixture, type GaussianMixture } from '../../src/data/gaussians.js';
import { initTrainState, makeTrainStep, resolveTrainConfig, type TrainState, type ValidTrainConfig } from '../../src/train/index.js';
import { gaussianConfig, RING_TEST_RUN, type Variant } from '../../bench/gaussian_gan.js';

useBackend(referenceBackend);

const fixture = fileURLToPath(new URL('../../../test/fixtures/mnist-dcgan-state-dict.txt', import.meta.url));

describe('mnist-dcgan tensor names', () => {
  it('are the committed PyTorch state_dict names (name and shape) of its generator and discriminator (compared as sets: loading goes by name)', () => {
    const r = resolveRunConfig(PRESETS['mnist-dcgan']);
    assert.ok(E.isRight(r));
    const { generator: G, discriminator: D, latent, dataShape } = r.right.train;
    const g = G.init(key(0), [latent.dim]);
    const d = D.init(key(1), dataShape);
    const lines = [
      ...stateDictEntries(g.params, g.state).map((e) => `generator.${e.name} [${e.tensor.shape.join(', ')}]`),
      ...stateDictEntries(d.params, d.state).map((e) => `discriminator.${e.name} [${e.tensor.shape.join(', ')}]`),
    ];
    assert.deepEqual([...lines].sort(), readFileSync(fixture, 'utf8').trimEnd().split('\n').sort());
  });
});

describe('the 2-D Gaussian presets', () => {
  const leavesOf = (t: unknown): number[][] => treeLeaves(t).map((l) => Array.from((l as Tensor).data));
  /**
   * The state after three iterations of the preset and of the benchmark's variant, both from the
   * benchmark's initial state (its leaves laid into the preset's tree, which may nest the layers
   * differently) with the same batches and keys, as leaves.
   */
  function threeIterations(preset: string, variant: Variant, mixture: GaussianMixture): [number[][], number[][]] {
    const r = resolveRunConfig(PRESETS[preset]);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const ours = r.right.train;
    const bench = resolveTrainConfig(gaussianConfig(variant, { hidden: RING_TEST_RUN.hidden, lr: RING_TEST_RUN.lr, decaySteps: RING_TEST_RUN.steps }));
    const benchState = initTrainState(bench, key(0));
    const { leaves, treedef } = treeFlatten(initTrainState(ours, key(0)));
    assert.deepEqual(treeLeaves(benchState).map((l) => (l as Tensor).shape), leaves.map((l) => (l as Tensor).shape));
    const ourState = treeUnflatten<TrainState>(treedef, treeLeaves(benchState));
    const batches = [0, 1, 2].map((i) => ({ real: Array.from({ length: bench.nDis }, (_, j) => sampleMixture(mixture, key(10 + 10 * i + j), RING_TEST_RUN.batch)) }));
    const run = (config: ValidTrainConfig, state: TrainState): number[][] => {
      const step = makeTrainStep(config);
      return leavesOf(batches.reduce((s, b, i) => step(s, b, key(100 + i))[0], state));
    };
    return [run(ours, ourState), run(bench, benchState)];
  }

  it('gaussians-8 trains the ring test\'s run: three iterations from one state give the state RING_TEST_RUN\'s config gives', () => {
    const [ours, theirs] = threeIterations('gaussians-8', RING_TEST_RUN.variant, ring8);
    assert.deepEqual(ours, theirs);
  });

  it('gaussians-25 and gaussians-100 train the benchmark\'s hinge + SN variant: three iterations give the state its config gives', () => {
    for (const [preset, mixture] of [['gaussians-25', grid25], ['gaussians-100', grid100]] as const) {
      const [ours, theirs] = threeIterations(preset, 'hinge+sn', mixture);
      assert.deepEqual(ours, theirs, preset);
    }
  });

  it('each 2-D preset has RING_TEST_RUN\'s batch, iterations and learning-rate schedule (2e-3 decayed linearly to 0 over the run)', () => {
    const lr = { schedule: 'linear', init: RING_TEST_RUN.lr, end: 0, transitionSteps: RING_TEST_RUN.steps };
    for (const name of ['gaussians-8', 'gaussians-25', 'gaussians-100']) {
      const p = PRESETS[name]!;
      assert.deepEqual([p.batchSize, p.steps, p.optimizers.g.lr, p.optimizers.d.lr], [RING_TEST_RUN.batch, RING_TEST_RUN.steps, lr, lr], name);
    }
  });

  it('gaussians-8, -25 and -100 train on their mixture with G: [N, 8] → [N, 2] and D: [N, 2] → [N, 1]', () => {
    for (const [name, mixture] of [['gaussians-8', 'ring8'], ['gaussians-25', 'grid25'], ['gaussians-100', 'grid100']] as const) {
      const r = resolveRunConfig(PRESETS[name]);
      assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
      assert.deepEqual(PRESETS[name]!.data, { source: 'gaussians', mixture, samples: 65536 }, name);
      assert.deepEqual(r.right.train.generator.init(key(0), [8]).outputShape, [2], name);
      assert.deepEqual(r.right.train.discriminator.init(key(1), [2]).outputShape, [1], name);
    }
  });
});
