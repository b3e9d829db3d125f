/**
 * The 2-D mode-collapse benchmark: for each dataset (ring of 8, grid of 25, grid of 100) and
 * variant (non-saturating, hinge + SN, WGAN-GP, non-saturating + PacGAN2), trains `--seeds` runs
 * (seeds 0, 1, …) of `--steps` iterations with the ring test's networks and batch (width 64,
 * batch 128, Adam 2e-3 decayed linearly to 0) and prints one line per run, then a Markdown
 * table of the mean ± std over the seeds of modes covered, high-quality samples, KL from
 * uniform, and CPU and wall ms per iteration (on the wasm backend with `--threads` threads; CPU
 * is user + system of this process, since wall time on a shared machine says little); each
 * run's line also has the load average. `--jit` runs the iteration through `jit` (same randomness);
 * `--first-seed` starts the seeds elsewhere than 0, so a table can be run in parts.
 *
 *     npm run bench:gaussians -- [--steps 1000] [--seeds 5] [--first-seed 0] [--threads 1] [--jit]
 *                                [--datasets ring8,grid25,grid100] [--variants nonsaturating,wgan-gp,…]
 */
import { loadavg } from 'node:os';
import { init } from '../src/index.js';
import { grid100, grid25, ring8, type GaussianMixture } from '../src/data/gaussians.js';
import { RING_TEST_RUN, trainGaussianGan, VARIANTS, type GaussianResult, type Variant } from '../bench/gaussian_gan.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const MIXTURES: Readonly<Record<string, GaussianMixture>> = { ring8, grid25, grid100 };
const steps = Number(arg('steps', '1000'));
const seeds = Number(arg('seeds', '5'));
const firstSeed = Number(arg('first-seed', '0'));
const useJit = process.argv.includes('--jit');
const datasets = arg('datasets', 'ring8,grid25').split(',');
const variants = arg('variants', VARIANTS.join(',')).split(',');
const unknown = [...datasets.filter((d) => !(d in MIXTURES)), ...variants.filter((v) => !(VARIANTS as readonly string[]).includes(v))];
if (unknown.length > 0) {
  console.error(`gaussians_benchmark: unknown dataset or variant: ${unknown.join(', ')} (datasets: ${Object.keys(MIXTURES).join(', ')}; variants: ${VARIANTS.join(', ')})`);
  process.exit(2);
}

await init({ threads: Number(arg('threads', '1')) });
const stat = (xs: readonly number[], digits: number): string => {
  const m = xs.reduce((a, v) => a + v, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length);
  return `${m.toFixed(digits)} ± ${sd.toFixed(digits)}`;
};
const { batch, hidden, lr } = RING_TEST_RUN;
const rows: string[] = [];
for (const name of datasets) {
  const mixture = MIXTURES[name]!;
  for (const variant of variants as Variant[]) {
    const runs: Array<GaussianResult & { cpuMsPerStep: number }> = [];
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const cpuBefore = process.cpuUsage();
      const r = trainGaussianGan({ mixture, variant, seed, steps, batch, hidden, lr, jit: useJit });
      const cpu = process.cpuUsage(cpuBefore);
      runs.push({ ...r, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / Math.max(steps, 1) });
      console.log(
        `${name} ${variant} seed ${seed}: ${r.modesCovered}/${r.modes} modes, ${(100 * r.highQualityFraction).toFixed(1)}% high quality, ` +
          `KL ${r.klFromUniform.toFixed(3)}, ${r.msPerStep.toFixed(1)} ms/iteration (wall), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    rows.push(
      `| ${name} | ${variant} | ${stat(runs.map((r) => r.modesCovered), 1)} / ${mixture.means.length} | ${stat(runs.map((r) => 100 * r.highQualityFraction), 1)} | ${stat(runs.map((r) => r.klFromUniform), 3)} | ${stat(runs.map((r) => r.cpuMsPerStep), 1)} | ${stat(runs.map((r) => r.msPerStep), 0)} |`,
    );
  }
}
console.log(`\n${steps} iterations, batch ${batch}, width ${hidden}, Adam ${lr} decayed to 0, seeds ${firstSeed}–${firstSeed + seeds - 1}, ${useJit ? 'jit' : 'eager'}`);
console.log('| dataset | variant | modes | high quality (%) | KL | CPU ms / iteration | wall ms / iteration |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
