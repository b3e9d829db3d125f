/**
 * The 2-D mode-collapse benchmark: for each dataset (ring of 8, grid of 25, optionally grid of
 * 100) and variant (non-saturating, hinge + SN, WGAN-GP, non-saturating + PacGAN2), trains
 * `--seeds` runs of `--steps` iterations and prints a Markdown table of the mean ± std of modes
 * covered, high-quality samples and KL from uniform over the seeds, with ms per iteration.
 *
 *     node dist/scripts/gaussians_benchmark.js [--steps 1000] [--seeds 5] [--ring-only] [--grid100]
 */
import { init } from '../src/index.js';
import { grid100, grid25, ring8 } from '../src/data/gaussians.js';
import { trainGaussianGan, VARIANTS, type GaussianResult } from '../bench/gaussian_gan.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = arg('steps', 1000);
const seeds = arg('seeds', 5);
const datasets = process.argv.includes('--ring-only') ? [ring8] : process.argv.includes('--grid100') ? [ring8, grid25, grid100] : [ring8, grid25];

await init();
const stat = (xs: readonly number[], digits: number): string => {
  const m = xs.reduce((a, v) => a + v, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length);
  return `${m.toFixed(digits)} ± ${sd.toFixed(digits)}`;
};
console.log(`${steps} iterations, batch 256, seeds 0–${seeds - 1}`);
console.log('| dataset | variant | modes | high quality (%) | KL | ms / iteration |');
console.log('|---|---|---|---|---|---|');
for (const mixture of datasets) {
  for (const variant of VARIANTS) {
    const runs: GaussianResult[] = [];
    for (let seed = 0; seed < seeds; seed++) runs.push(trainGaussianGan({ mixture, variant, seed, steps, lr: 2e-3 }));
    console.log(
      `| ${mixture.name} | ${variant} | ${stat(runs.map((r) => r.modesCovered), 1)} / ${mixture.means.length} | ${stat(runs.map((r) => 100 * r.highQualityFraction), 1)} | ${stat(runs.map((r) => r.klFromUniform), 3)} | ${stat(runs.map((r) => r.msPerStep), 0)} |`,
    );
  }
}
