/**
 * Cost of one forward + backward pass of the benchmark discriminator (DCGAN-style, MNIST
 * 28×28, batch 64) per backend:
 *   Conv2d(1→64, k4 s2 p1) → LeakyReLU(0.2) → Conv2d(64→128, k4 s2 p1) → LeakyReLU(0.2)
 *   → Flatten → Linear(6272→1)
 * and the same with spectral norm on every layer (one power iteration per step).
 *
 *     node dist/bench/discriminator.js [--json] [--quick] [--backend wasm --backend reference ...]
 *                                      [--threads 1 --threads 2]   (wasm backends; default 1 and 2)
 */
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import * as E from 'fp-ts/lib/Either.js';
import { loadBackend } from '../src/backend/load.js';
import { withBackend } from '../src/backend/current.js';
import { key, normal } from '../src/core/random.js';
import * as ops from '../src/ops/index.js';
import { valueAndGrad } from '../src/autodiff/index.js';
import { Conv2d, Flatten, LeakyReLU, Linear, refreshState, sequential, spectralNorm, type AnyLayer } from '../src/nn/index.js';
import type { Tensor } from '../src/core/tensor.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    backend: { type: 'string', multiple: true },
    threads: { type: 'string', multiple: true },
  },
  strict: true,
});

const convFlops = 2 * 64 * (64 * 14 * 14 * 16 + 128 * 7 * 7 * 64 * 16) + 2 * 64 * 6272;
/** Forward + backward ≈ 3× forward (grad-input is skipped for the first conv, whose input is data). */
const flops = convFlops * 3 - 2 * 64 * 64 * 14 * 14 * 16;

function makeD(sn: boolean): AnyLayer {
  const w = (l: AnyLayer): AnyLayer => (sn ? (spectralNorm(l as never) as AnyLayer) : l);
  return sequential(
    w(Conv2d(64, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer), LeakyReLU(0.2),
    w(Conv2d(128, { kernel: 4, stride: 2, padding: 1 }) as AnyLayer), LeakyReLU(0.2),
    Flatten(), w(Linear(1) as AnyLayer),
  ) as AnyLayer;
}

async function main(): Promise<void> {
  const names = values.backend ?? ['wasm-relaxed', 'wasm-simd', 'reference'];
  const x = normal(key(1), [64, 1, 28, 28]);
  const rows: Record<string, unknown>[] = [];
  const threadCounts = (values.threads ?? ['1', '2']).map(Number);
  const configs = names.flatMap((name) => (name === 'reference' ? [[name, 1] as const] : threadCounts.map((t) => [name, t] as const)));
  for (const [name, threads] of configs) {
    const b = await loadBackend(name, { threads });
    if (E.isLeft(b)) {
      console.error(`skipping ${name}: ${b.left.message}`);
      continue;
    }
    for (const sn of [false, true]) {
      const D = makeD(sn);
      const { params, state } = D.init(key(0), [1, 28, 28]);
      const step = (): unknown =>
        withBackend(b.right, () => {
          const s = refreshState(D, params, state);
          const loss = (p: unknown): Tensor => ops.mean(D.apply(p, s, x, { train: true })[0]);
          return valueAndGrad(loss)(params);
        });
      const slow = name === 'reference';
      const bench = new Bench({
        time: values.quick || slow ? 1 : 2000,
        iterations: slow ? (values.quick ? 1 : 2) : values.quick ? 3 : 10,
        warmupIterations: slow ? 0 : 2,
        warmup: !slow,
        throws: true,
      });
      bench.add('D', step);
      await bench.run();
      const r = bench.tasks[0]!.result;
      if (r.state !== 'completed') throw new Error(`benchmark did not complete: ${r.state}`);
      const ms = r.latency.p50;
      rows.push({ name: `discriminator fwd+bwd batch 64${sn ? ' (spectral norm)' : ''}`, backend: b.right.description, ms, gflops: flops / ms / 1e6, samples: r.latency.samplesCount });
    }
    await b.right.close?.();
  }
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  console.log('| model | backend | median ms | effective GFLOP/s |');
  console.log('|---|---|---:|---:|');
  for (const r of rows) console.log(`| ${String(r.name)} | ${String(r.backend)} | ${(r.ms as number).toFixed(1)} | ${(r.gflops as number).toFixed(1)} |`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
