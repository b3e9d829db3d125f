/**
 * The step is traceable: run under an interpreter whose tracers have no readable data (as a
 * `jit` tracer has none: `.data` throws, and so does the data behind `concrete()`), a whole
 * iteration completes, and gives bit for bit what the eager run gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key } from '../../src/core/random.js';
import { BatchNorm, LeakyReLU, Linear, ReLU, sequential, spectralNorm } from '../../src/nn/index.js';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/config.js';
import { drawRandomness, makeTrainCore } from '../../src/train/iteration.js';
import { initTrainState } from '../../src/train/state.js';
import { dStep, gStep } from '../../src/train/step.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { forEachBackend } from '../helpers/backends.js';
import { bitsOf, realBatches, tinyConfig } from '../helpers/tiny_gan.js';

const configs: ReadonlyArray<readonly [string, TrainConfig]> = [
  [
    'SN and batch norm in G, SN in D, hinge loss, gradient penalty, weight clipping, nDis 2',
    tinyConfig({
      generator: sequential(spectralNorm(Linear(8)), BatchNorm(), ReLU(), Linear(2)),
      discriminator: sequential(spectralNorm(Linear(8)), LeakyReLU(0.2), spectralNorm(Linear(1))),
      loss: 'hinge',
      nDis: 2,
      regularizers: { gradientPenalty: { weight: 10, oneSided: true }, weightClip: { c: 1 } },
    }),
  ],
  ['minimax with label smoothing, R1 and R2, g-first', tinyConfig({ loss: 'minimax', order: 'g-first', regularizers: { labelSmoothing: 0.9, r1: { weight: 1 }, r2: { weight: 1 } } })],
  ['the relativistic loss (G reads D(real))', tinyConfig({ loss: 'relativistic' })],
];

forEachBackend(() => {
  describe('traceability of the step', () => {
    for (const [what, raw] of configs) {
      it(`a whole iteration runs without reading tensor data and matches the eager run bit for bit: ${what}`, () => {
        const config = resolveTrainConfig(raw);
        const state = initTrainState(config, key(0));
        const batch = { real: realBatches(0, config.nDis) };
        const rnd = drawRandomness(config, key(1), 4);
        const core = makeTrainCore(config);
        assert.deepEqual(bitsOf(callWithoutData(core, state, batch, rnd)), bitsOf(core(state, batch, rnd)));
      });
    }

    it('dStep and gStep on their own run without reading tensor data', () => {
      const config = resolveTrainConfig(configs[0]![1]);
      const state = initTrainState(config, key(2));
      const rnd = drawRandomness(config, key(3), 4);
      const [real] = realBatches(2, 1);
      const inputs = { real: real!, z: rnd.zD[0]!, alpha: rnd.alpha![0]! };
      assert.deepEqual(bitsOf(callWithoutData((s, x) => dStep(config, s, x), state, inputs)), bitsOf(dStep(config, state, inputs)));
      assert.deepEqual(bitsOf(callWithoutData((s, z) => gStep(config, s, { z }), state, rnd.zG)), bitsOf(gStep(config, state, { z: rnd.zG })));
    });
  });
});
