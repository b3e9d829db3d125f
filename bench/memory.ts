/**
 * Memory over a training run: `--steps` (default 1,000) jitted iterations of the benchmark GAN
 * (`helpers/benchmark_gan.ts`; `--sn` for its +SN variant, `--eager` without jit) with the
 * state threaded from step to step and fresh latents each step, printing the JS heap (after a
 * full GC when node runs with --expose-gc, as `npm run bench:memory` does), the RSS and the
 * wasm backend's linear memory after the warm-up and at the end, their growth, and the peak
 * RSS of the process. Targets (the performance issue): growth < 5% after warm-up, peak RSS <
 * 300 MB.
 *
 *     npm run bench:memory [-- --steps 1000] [--warmup 20] [--threads 1] [--variant relaxed] [--sn] [--eager] [--json]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { withBackend } from '../src/backend/current.js';
import { loadWasmBackend, type WasmVariant } from '../src/backend/wasm/index.js';
import { key, normal, split, type Key } from '../src/core/random.js';
import { jit } from '../src/jit/index.js';
import { tanh } from '../src/ops/elementwise.js';
import { initTrainState, makeTrainStep, resolveTrainConfig, type TrainState } from '../src/train/index.js';
import { BATCH, benchmarkGanConfig, tensorRandomness } from './helpers/benchmark_gan.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '20' },
    threads: { type: 'string', default: '1' },
    variant: { type: 'string', default: 'relaxed' },
    every: { type: 'string', default: '100' },
    sn: { type: 'boolean', default: false },
    eager: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});

/** JS heap (objects), ArrayBuffer memory (tensor data lives there, outside the heap), RSS, the backend's wasm linear memory. */
type Sample = Readonly<{ step: number; heapMB: number; arrayBuffersMB: number; rssMB: number; wasmMB: number }>;

const MB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const [steps, warmup, threads, every] = [values.steps, values.warmup, values.threads, values.every].map(Number) as [number, number, number, number];
  if (![steps, warmup, threads, every].every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new Error('--steps, --warmup, --threads and --every must be positive integers');
  }
  const backend = await loadWasmBackend({ variant: values.variant as WasmVariant, threads });
  const config = withBackend(backend, () => resolveTrainConfig(benchmarkGanConfig({ sn: values.sn })));
  const step = makeTrainStep(config);
  const jitted = jit(step, { name: 'makeTrainStep' });
  const [kInit, kData] = split(key(0), 2) as [Key, Key];
  // A few real batches, cycled: the data pipeline is not what is measured here.
  const reals = withBackend(backend, () => split(kData, 4).map((k) => tanh(normal(k, [BATCH, 1, 28, 28]))));
  let state: TrainState = withBackend(backend, () => initTrainState(config, kInit));
  const sample = (i: number): Sample => {
    gc?.();
    const m = process.memoryUsage();
    return { step: i, heapMB: m.heapUsed / MB, arrayBuffersMB: m.arrayBuffers / MB, rssMB: m.rss / MB, wasmMB: backend.memoryBytes() / MB };
  };
  const samples: Sample[] = [sample(0)];
  const started = performance.now();
  let warmMs = 0;
  for (let i = 1; i <= warmup + steps; i++) {
    const batch = { real: [reals[i % reals.length]!] };
    const k = key(10_000 + i);
    state = withBackend(backend, () =>
      values.eager ? step(state, batch, k)[0] : jitted(state, batch, tensorRandomness(config, k, BATCH))[0],
    );
    if (i === warmup) {
      samples.push(sample(i));
      warmMs = performance.now();
    } else if (i > warmup && ((i - warmup) % every === 0 || i === warmup + steps)) {
      samples.push(sample(i));
      if (!values.json) console.error(`step ${i}: heap ${samples.at(-1)!.heapMB.toFixed(1)} MB, RSS ${samples.at(-1)!.rssMB.toFixed(1)} MB`);
    }
  }
  const msPerStep = (performance.now() - warmMs) / steps;
  const afterWarmup = samples.find((s) => s.step === warmup)!;
  const end = samples.at(-1)!;
  const growth = (a: number, b: number): number => b / a - 1;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const summary = {
    name: `memory over ${steps} ${values.eager ? 'eager' : 'jitted'} steps of the benchmark GAN${values.sn ? ' +SN' : ''}`,
    build: backend.variant,
    threads,
    steps,
    warmup,
    heapAfterWarmupMB: afterWarmup.heapMB,
    heapEndMB: end.heapMB,
    heapGrowth: growth(afterWarmup.heapMB, end.heapMB),
    arrayBuffersAfterWarmupMB: afterWarmup.arrayBuffersMB,
    arrayBuffersEndMB: end.arrayBuffersMB,
    rssAfterWarmupMB: afterWarmup.rssMB,
    rssEndMB: end.rssMB,
    rssGrowth: growth(afterWarmup.rssMB, end.rssMB),
    wasmAfterWarmupMB: afterWarmup.wasmMB,
    wasmEndMB: end.wasmMB,
    peakRssMB,
    msPerStep,
    gcExposed: gc !== undefined,
    jitTraces: jitted.stats().traces,
    loadAverage: loadavg(),
    totalSeconds: (performance.now() - started) / 1000,
  };
  await backend.close();
  if (values.json) {
    for (const s of samples) console.log(JSON.stringify({ name: 'sample', ...s }));
    console.log(JSON.stringify(summary));
    return;
  }
  const f = (v: number): string => v.toFixed(1);
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  console.log('| step | JS heap MB | ArrayBuffers MB | RSS MB | wasm memory MB |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const s of samples) console.log(`| ${s.step} | ${f(s.heapMB)} | ${f(s.arrayBuffersMB)} | ${f(s.rssMB)} | ${f(s.wasmMB)} |`);
  console.log(
    `\n${summary.name} (${summary.build}, ${threads} thread(s), ${warmup} warm-up steps): ` +
      `JS heap ${f(summary.heapAfterWarmupMB)} → ${f(summary.heapEndMB)} MB (${pct(summary.heapGrowth)}), ` +
      `ArrayBuffers ${f(summary.arrayBuffersAfterWarmupMB)} → ${f(summary.arrayBuffersEndMB)} MB, ` +
      `RSS ${f(summary.rssAfterWarmupMB)} → ${f(summary.rssEndMB)} MB (${pct(summary.rssGrowth)}), ` +
      `wasm memory ${f(summary.wasmAfterWarmupMB)} → ${f(summary.wasmEndMB)} MB, peak RSS ${f(peakRssMB)} MB; ` +
      `${summary.msPerStep.toFixed(0)} ms per step; ${summary.jitTraces} trace(s)${gc ? '' : '; heap read without a forced GC (run node with --expose-gc)'}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
