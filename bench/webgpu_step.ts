/**
 * The benchmark GAN step (issue 13's DCGAN: batch 64, hinge loss, Adam(2e-4, β = (0, 0.9)),
 * one D step then one G step, `train.makeTrainCore` jitted as a whole) on the WebGPU backend,
 * next to the wasm backend, in the JSON rows of the CPU benchmarks (bench/jit.ts), plus the
 * dispatches and the bytes read back per step and how far the first WebGPU step's new state
 * is from the wasm one (max |Δ| over every leaf).
 *
 * Each step feeds the previous step's state back in, so the WebGPU program takes it from the
 * device (the resident path) and uploads only the batch and the latents. On a machine without
 * a GPU this runs on SwiftShader (a CPU emulation of Vulkan): its times say nothing about a GPU.
 *
 *     VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node dist/bench/webgpu_step.js [--json] [--steps 3] [--batch 64]
 */
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { loadWasmBackend } from '../src/backend/wasm/index.js';
import { createWebGPUBackend } from '../src/backend/webgpu/index.js';
import { useBackend } from '../src/backend/current.js';
import type { Backend } from '../src/backend/backend.js';
import { key, normal } from '../src/core/random.js';
import type { Tensor } from '../src/core/tensor.js';
import { treeLeaves } from '../src/core/pytree.js';
import * as ops from '../src/ops/index.js';
import { benchmarkGanConfig } from './helpers/benchmark_gan.js';
import { jit } from '../src/jit/index.js';
import { drawRandomness, initTrainState, makeTrainCore, validateTrainConfig, type TrainConfig, type TrainState } from '../src/train/index.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    steps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
  },
  strict: true,
});
const steps = Number(values.steps);
const batchSize = Number(values.batch);

const config: TrainConfig = benchmarkGanConfig({ sn: false });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

type Run = { row: Record<string, unknown>; firstState: TrainState };

function runOn(backend: Backend, label: string): Run {
  const valid = validateTrainConfig(config);
  if (E.isLeft(valid)) throw valid.left;
  const core = jit(makeTrainCore(valid.right), { name: 'benchmark DCGAN step' });
  useBackend(backend);
  let state = initTrainState(valid.right, key(0));
  const batch = { real: [ops.tanh(normal(key(1), [batchSize, 1, 28, 28]))] };
  const randomness = drawRandomness(valid.right, key(2), batchSize);
  let t0 = performance.now();
  const profile = core.profile(state, batch, randomness);
  const compileMs = performance.now() - t0;
  const times: number[] = [];
  let firstState: TrainState | undefined;
  for (let i = 0; i < steps; i++) {
    t0 = performance.now();
    [state] = core(state, batch, randomness);
    times.push(performance.now() - t0);
    firstState ??= state;
  }
  const graph = core.lower(state, batch, randomness);
  return {
    firstState: firstState!,
    row: {
      model: `train.makeTrainCore, benchmark DCGAN, batch ${batchSize}`,
      backend: label,
      equations: graph.eqns.length,
      jitMs: median(times),
      jitMinMs: Math.min(...times),
      samples: times.length,
      compileMs,
      jitPasses: profile.passes,
      jitFreshMB: profile.freshBytes / 2 ** 20,
      jitResidentMB: profile.residentBytes / 2 ** 20,
      groups: profile.groups,
      fusedEquations: profile.fusedEqns,
    },
  };
}

async function main(): Promise<void> {
  const made = await createWebGPUBackend({ readBackTimeoutMs: 600_000 });
  if (E.isLeft(made)) {
    console.error(`bench/webgpu_step: no WebGPU device: ${made.left.message}`);
    process.exitCode = 1;
    return;
  }
  const gpu = made.right;
  const wasm = await loadWasmBackend();
  const onWasm = runOn(wasm, wasm.description);
  const onGpu = runOn(gpu, gpu.description);
  const a = treeLeaves(onGpu.firstState) as Tensor[];
  const b = treeLeaves(onWasm.firstState) as Tensor[];
  let maxAbs = 0;
  a.forEach((t, i) => t.data.forEach((v, j) => (maxAbs = Math.max(maxAbs, Math.abs(v - b[i]!.data[j]!)))));
  const rows = [
    onWasm.row,
    { ...onGpu.row, adapter: gpu.adapter, dispatchesPerStep: onGpu.row['jitPasses'], readBackBytesPerStep: (onGpu.row['jitFreshMB'] as number) * 2 ** 20, maxAbsDiffVsWasmAfterOneStep: maxAbs },
  ];
  if (values.json) for (const r of rows) console.log(JSON.stringify(r));
  else console.table(rows);
  await gpu.close();
  await wasm.close();
}

await main();
