/**
 * Cost of one training iteration (`makeTrainStep`: one D update, one G update) of a DCGAN-style
 * GAN on MNIST-sized data, batch 64, hinge loss, spectral norm on D, on the wasm backend:
 *   G: Linear(64→128·7·7) → Reshape → BatchNorm → ReLU → ConvT(128→64, k4 s2 p1) → BatchNorm
 *      → ReLU → ConvT(64→1, k4 s2 p1) → Tanh
 *   D: SN Conv2d(1→64, k4 s2 p1) → LeakyReLU → SN Conv2d(64→128, k4 s2 p1) → LeakyReLU
 *      → Flatten → SN Linear(6272→1)
 * and the same iteration with a WGAN-GP penalty (second-order gradient) instead of SN.
 *
 *     node dist/bench/train_step.js [--json] [--quick] [--threads 1 --threads 2]
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import * as E from 'fp-ts/lib/Either.js';
import { loadBackend } from '../src/backend/load.js';
import { withBackend } from '../src/backend/current.js';
import { key, normal } from '../src/core/random.js';
import { BatchNorm, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, ReLU, Reshape, sequential, spectralNorm, Tanh, type AnyLayer } from '../src/nn/index.js';
import { initTrainState, makeTrainStep, type TrainConfig } from '../src/train/index.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, threads: { type: 'string', multiple: true } },
  strict: true,
});

const generator = sequential(
  Linear(128 * 7 * 7), Reshape([128, 7, 7]), BatchNorm(), ReLU(),
  ConvTranspose2d(64, { kernel: 4, stride: 2, padding: 1 }), BatchNorm(), ReLU(),
  ConvTranspose2d(1, { kernel: 4, stride: 2, padding: 1 }), Tanh(),
) as AnyLayer;

function discriminator(sn: boolean): AnyLayer {
  const w = (l: AnyLayer): AnyLayer => (sn ? (spectralNorm(l as never) as AnyLayer) : l);
  return sequential(
    w(Conv2d(64, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer), LeakyReLU(0.2),
    w(Conv2d(128, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer), LeakyReLU(0.2),
    Flatten(), w(Linear(1) as AnyLayer),
  ) as AnyLayer;
}

const variants: ReadonlyArray<readonly [string, TrainConfig]> = [
  ['hinge, SN on D', { generator, discriminator: discriminator(true), latent: { dim: 64, prior: 'normal' }, dataShape: [1, 28, 28], loss: 'hinge', optimizers: { g: { name: 'adam', lr: 2e-4, b1: 0, b2: 0.9 }, d: { name: 'adam', lr: 2e-4, b1: 0, b2: 0.9 } } }],
  ['WGAN-GP', { generator, discriminator: discriminator(false), latent: { dim: 64, prior: 'normal' }, dataShape: [1, 28, 28], loss: 'wasserstein', regularizers: { gradientPenalty: { weight: 10 } }, optimizers: { g: { name: 'adam', lr: 1e-4, b1: 0, b2: 0.9 }, d: { name: 'adam', lr: 1e-4, b1: 0, b2: 0.9 } } }],
];

async function main(): Promise<void> {
  const rows: Record<string, unknown>[] = [];
  const real = [normal(key(1), [64, 1, 28, 28])];
  for (const threads of (values.threads ?? ['1', '2']).map(Number)) {
    const b = await loadBackend('wasm', { threads });
    if (E.isLeft(b)) throw b.left;
    for (const [name, config] of variants) {
      const step = makeTrainStep(config);
      const state = withBackend(b.right, () => initTrainState(config, key(0)));
      const bench = new Bench({ time: values.quick ? 1 : 3000, iterations: values.quick ? 2 : 5, warmupIterations: 1, throws: true });
      bench.add(name, () => withBackend(b.right, () => step(state, { real }, key(2))));
      await bench.run();
      const r = bench.tasks[0]!.result;
      if (r.state !== 'completed') throw new Error(`benchmark did not complete: ${r.state}`);
      rows.push({ name: `train iteration batch 64, ${name}`, backend: b.right.description, threads, ms: r.latency.p50, samples: r.latency.samplesCount });
    }
    await b.right.close?.();
  }
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  console.log('| iteration | backend | threads | median ms |');
  console.log('|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${String(r.name)} | ${String(r.backend)} | ${String(r.threads)} | ${(r.ms as number).toFixed(0)} |`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
