/**
 * The pass rate of the ring test's configuration over seeds 0–9: trains RING_TEST_RUN once per
 * seed (`--steps` overrides its budget) and counts the runs with ≥ 7 of 8 modes and ≥ `--hq`
 * high-quality samples (default 0.7, the bar, which the test asserts), on the wasm
 * backend with `--threads` threads (default 1).
 *
 *     npm run bench:ring -- [--steps 4000] [--hq 0.7] [--threads 1]
 */
import { init } from '../src/index.js';
import { ring8 } from '../src/data/gaussians.js';
import { RING_TEST_RUN, trainGaussianGan } from '../bench/gaussian_gan.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg('steps', RING_TEST_RUN.steps);
const hq = arg('hq', 0.7);

await init({ threads: arg('threads', 1) });
let passed = 0;
for (let seed = 0; seed < 10; seed++) {
  const r = trainGaussianGan({ ...RING_TEST_RUN, steps, mixture: ring8, seed });
  const ok = r.modesCovered >= 7 && r.highQualityFraction >= hq;
  if (ok) passed++;
  console.log(`seed ${seed}: ${r.modesCovered}/8 modes, ${(100 * r.highQualityFraction).toFixed(1)}% high quality, ${r.msPerStep.toFixed(1)} ms/iteration ${ok ? 'pass' : 'FAIL'}`);
}
console.log(`pass rate ${passed}/10 (${steps} iterations, batch ${RING_TEST_RUN.batch}, width ${RING_TEST_RUN.hidden}, lr ${RING_TEST_RUN.lr})`);
