/**
 * The pass rate of the ring test (test/train/mode_collapse.test.ts) over seeds 0–9: trains the
 * test's configuration once per seed and counts the runs with ≥ 7 of 8 modes and ≥ 70%
 * high-quality samples.
 *
 *     node dist/scripts/ring_pass_rate.js
 */
import { init } from '../src/index.js';
import { ring8 } from '../src/data/gaussians.js';
import { RING_TEST_RUN, trainGaussianGan } from '../bench/gaussian_gan.js';

await init();
let passed = 0;
for (let seed = 0; seed < 10; seed++) {
  const r = trainGaussianGan({ ...RING_TEST_RUN, mixture: ring8, seed });
  const ok = r.modesCovered >= 7 && r.highQualityFraction >= 0.7;
  if (ok) passed++;
  console.log(`seed ${seed}: ${r.modesCovered}/8 modes, ${(100 * r.highQualityFraction).toFixed(1)}% high quality, ${r.msPerStep.toFixed(1)} ms/iteration ${ok ? 'pass' : 'FAIL'}`);
}
console.log(`pass rate ${passed}/10`);
