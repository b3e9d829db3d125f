/**
 * The ring of 8 Gaussians, PacGAN's metrics: a small MLP GAN (bench/gaussian_gan.ts,
 * RING_TEST_RUN) trained with seed 0 covers at least 7 of the 8 modes, and at least 25% of
 * 2,500 samples lie within 3 std of a mode. Issue 10 asks for 70% within 60 s; this budget
 * (1,000 iterations) reaches about a third, and 70% took 2,000 iterations (README, "Mode
 * collapse"), which does not fit the minute on a shared core.
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

  it('a small MLP GAN trained with seed 0 covers at least 7 of 8 modes with at least 25% high-quality samples', () => {
    const r = trainGaussianGan({ ...RING_TEST_RUN, mixture: ring8, seed: 0 });
    assert.ok(r.modesCovered >= 7, `${r.modesCovered} of 8 modes`);
    assert.ok(r.highQualityFraction >= 0.25, `${(100 * r.highQualityFraction).toFixed(1)}% high quality`);
  });
});
