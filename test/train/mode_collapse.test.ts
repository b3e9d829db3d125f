/**
 * The ring of 8 Gaussians, PacGAN's metrics: a small MLP GAN (bench/gaussian_gan.ts,
 * RING_TEST_RUN: width 64, 4,000 iterations of batch 128) trained with seed 0 covers at least 7
 * of the 8 modes, and at least 70% of 2,500 samples lie within 3 std of a mode (issue 10's
 * bar). `npm run bench:ring` measures the pass rate over seeds 0–9 and the run's cost (README,
 * "Mode collapse").
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../../src/index.js';
import { ring8 } from '../../src/data/gaussians.js';
import { RING_TEST_RUN, trainGaussianGan } from '../../bench/gaussian_gan.js';

describe('mode collapse on the ring of 8 Gaussians', () => {
  before(async () => {
    await init();
  });

  it('a small MLP GAN trained with seed 0 covers at least 7 of 8 modes with at least 70% high-quality samples', () => {
    const r = trainGaussianGan({ ...RING_TEST_RUN, mixture: ring8, seed: 0 });
    assert.ok(r.modesCovered >= 7, `${r.modesCovered} of 8 modes`);
    assert.ok(r.highQualityFraction >= 0.7, `${(100 * r.highQualityFraction).toFixed(1)}% high quality`);
  });
});
