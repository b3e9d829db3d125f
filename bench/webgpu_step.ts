/**
 * The benchmark GAN step (`helpers/benchmark_gan.ts`: batch 64, hinge loss, Adam(2e-4, β = (0, 0.9)),
 * one D step then one G step, `train.makeTrainCore` jitted as a whole) on the WebGPU backend
 * next to the wasm backend, in interleaved rounds (`helpers/rounds.ts`), printed as the JSON
 * rows of `bench/gan_step.ts` (name, model, mode, build, threads, ms, gflops, flops, samples,
 * cpuMs) plus, for WebGPU, the dispatches and bytes read back per step, the bytes resident on
 * the device, the adapter, and how far the first WebGPU step's new state is from wasm's
 * (max |Δ| over every leaf).
 *
 * Each timed step is what a training loop does: the step runs on the state the previous step
 * left on the device (nothing but the batch and the latents is uploaded), the replaced state
 * is disposed, and the step's metrics — and only they — are materialised (awaited, so a step's
 * time includes the device finishing it). On a machine without a GPU this runs on SwiftShader
 * (a CPU emulation of Vulkan): its times say nothing about a GPU, and one step of batch 4 costs
 * it tens of CPU-seconds, so `--quick` is one round of one step at batch 4 (a few minutes).
 * The wasm step runs first, so the step is traced there (tracing by example runs the eager
 * kernels, slow on SwiftShader) and only compiled for WebGPU. `scripts/device_bundle.sh` packs
 * this for a GPU machine.
 *
 *     VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node dist/bench/webgpu_step.js
 *         [--json] [--quick] [--rounds 3] [--steps 5] [--batch 64] [--skip-wasm]
 */
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { loadWasmBackend } from '../src/backend/wasm/index.js';
import { createWebGPUBackend, type WebGPUBackend } from '../src/backend/webgpu/index.js';
import { withBackend } from '../src/backend/current.js';
import type { Backend } from '../src/backend/backend.js';
import { dispose, materialize } from '../src/core/device_tensor.js';
import { key, normal, split, type Key } from '../src/core/random.js';
import type { Tensor } from '../src/core/tensor.js';
import { treeLeaves } from '../src/core/pytree.js';
import { tanh } from '../src/ops/elementwise.js';
import { jit } from '../src/jit/index.js';
import { initTrainState, makeTrainCore, resolveTrainConfig, type TrainBatch, type TrainState } from '../src/train/index.js';
import { benchmarkGanConfig, tensorRandomness } from './helpers/benchmark_gan.js';
import { kernelCalls, totalFlops } from './helpers/kernel_calls.js';
import { cpuMedianOf, interleavedRounds, medianOf, type RoundTask } from './helpers/rounds.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    'skip-wasm': { type: 'boolean', default: false },
  },
  strict: true,
});
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const steps = Number(values.steps ?? (values.quick ? 1 : 5));
const batchSize = Number(values.batch ?? (values.quick ? 4 : 64));
for (const [flag, v] of [['--rounds', rounds], ['--steps', steps], ['--batch', batchSize]] as const) {
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${flag} must be a positive integer, got ${v}`);
}

const config = resolveTrainConfig(benchmarkGanConfig({ sn: false }));
const core = jit(makeTrainCore(config), { name: 'benchmark GAN step' });
const [kInit, kReal, kNoise] = split(key(0), 3) as [Key, Key, Key];
const randomness = tensorRandomness(config, kNoise, batchSize);

type Prepared = Readonly<{ backend: Backend; build: string; threads: number; task: RoundTask; compileMs: number; firstState: TrainState }>;

/** Traces, compiles and runs the first step on `backend`; the task then steps on from the state it leaves. */
async function prepare(backend: Backend, build: string, threads: number): Promise<Prepared> {
  const init = withBackend(backend, () => initTrainState(config, kInit));
  const batch: TrainBatch = { real: [withBackend(backend, () => tanh(normal(kReal, [batchSize, 1, 28, 28])))] };
  const t0 = performance.now();
  const [first, firstMetrics] = withBackend(backend, () => core(init, batch, randomness));
  await materialize(firstMetrics);
  const compileMs = performance.now() - t0;
  const firstState = await materialize(first);
  let state = first;
  const task: RoundTask = {
    name: build,
    iterations: steps,
    fn: async () => {
      const [next, metrics] = withBackend(backend, () => core(state, batch, randomness));
      if (state !== first) dispose(state);
      state = next;
      await materialize(metrics);
      dispose(metrics);
    },
  };
  return { backend, build, threads, task, compileMs, firstState };
}

const maxAbsDiff = (a: TrainState, b: TrainState): number => {
  const bs = treeLeaves(b) as Tensor[];
  let m = 0;
  (treeLeaves(a) as Tensor[]).forEach((t, i) => t.data.forEach((v, j) => (m = Math.max(m, Math.abs(v - bs[i]!.data[j]!)))));
  return m;
};

async function main(): Promise<void> {
  const made = await createWebGPUBackend({ readBackTimeoutMs: 600_000 });
  if (E.isLeft(made)) {
    console.error(`bench/webgpu_step: no WebGPU device: ${made.left.message}`);
    process.exitCode = 1;
    return;
  }
  const gpu: WebGPUBackend = made.right;
  console.error(`bench/webgpu_step: adapter ${gpu.adapter}; batch ${batchSize}, ${rounds} round(s) of ${steps} step(s)`);
  const wasm = values['skip-wasm'] ? undefined : await loadWasmBackend();
  const prepared: Prepared[] = [];
  if (wasm !== undefined) prepared.push(await prepare(wasm, wasm.variant, wasm.threads));
  const onGpu = await prepare(gpu, 'webgpu', 1);
  prepared.push(onGpu);
  const graph = core.lower(onGpu.firstState, { real: [tanh(normal(kReal, [batchSize, 1, 28, 28]))] }, randomness);
  const flops = totalFlops(kernelCalls(graph));
  const profile = withBackend(gpu, () => core.profile(onGpu.firstState, { real: [tanh(normal(kReal, [batchSize, 1, 28, 28]))] }, randomness));
  const before = gpu.stats();
  const samples = await interleavedRounds(
    prepared.map((p) => p.task),
    rounds,
    (r) => console.error(`bench/webgpu_step: round ${r + 1}/${rounds} done`),
  );
  const after = gpu.stats();
  const timedSteps = rounds * steps;
  const rows = prepared.map((p) => {
    const ms = medianOf(samples.wall, p.build);
    const row: Record<string, unknown> = {
      name: `benchmark GAN (batch ${batchSize}), jit on ${p.build === 'webgpu' ? `WebGPU (${gpu.adapter})` : `wasm ${p.build}`}`,
      model: 'gan',
      mode: 'jit',
      build: p.build,
      threads: p.threads,
      ms,
      gflops: flops / ms / 1e6,
      flops,
      samples: samples.wall.get(p.build)!.flat().length,
      cpuMs: cpuMedianOf(samples.cpu, p.build),
      batch: batchSize,
      equations: graph.eqns.length,
      compileMs: p.compileMs,
    };
    if (p.build !== 'webgpu') return row;
    const wasmFirst = prepared.find((q) => q.build !== 'webgpu')?.firstState;
    return {
      ...row,
      adapter: gpu.adapter,
      dispatchesPerStep: (after.dispatches - before.dispatches) / timedSteps,
      readBackBytesPerStep: (after.readBackBytes - before.readBackBytes) / timedSteps,
      residentMB: profile.residentBytes / 2 ** 20,
      liveBuffers: after.liveBuffers,
      ...(wasmFirst !== undefined ? { maxAbsDiffVsWasmAfterOneStep: maxAbsDiff(p.firstState, wasmFirst) } : {}),
    };
  });
  if (values.json) for (const r of rows) console.log(JSON.stringify(r));
  else console.table(rows);
  await gpu.close();
  await wasm?.close();
}

await main();
