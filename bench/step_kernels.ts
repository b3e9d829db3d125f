/**
 * The jitted step's kernels one by one (tinybench): every matmul, convolution and power
 * iteration of the benchmark GAN's traced iteration (`helpers/kernel_calls.ts`), each timed
 * alone on 1 and on 2 threads, with its GFLOP/s, its fraction of the peak measured in the
 * same run and its two-thread speed-up. Calls of the same shape are timed once and counted
 * as often as the graph has them. This is the profile behind the whole step's figures in
 * `gan_step.ts`: which kernels hold it back, and which do not scale across threads.
 * `--model gaussians` profiles the 8-Gaussians MLP GAN's step instead (batch 256, the
 * non-saturating config of `gaussian_gan.ts`): small and skinny GEMMs (K = 2, N = 1).
 *
 *     npm run bench:step-kernels [-- --json] [--sn] [--model gan|gaussians] [--variant relaxed] [--time 400] [--col-budget FLOATS]
 */
import { parseArgs } from 'node:util';
import { loadWasmBackend, type WasmBackend, type WasmVariant } from '../src/backend/wasm/index.js';
import { ring8, sampleMixture } from '../src/data/gaussians.js';
import { benchmarkGanConfig, stepRunners, type StepRunners } from './helpers/benchmark_gan.js';
import { gaussianConfig } from './gaussian_gan.js';
import { kernelCalls, kernelReplay, type KernelCall } from './helpers/kernel_calls.js';
import { measurePeak, medians, type Task } from './helpers/peak.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    sn: { type: 'boolean', default: false },
    model: { type: 'string', default: 'gan' },
    variant: { type: 'string', default: 'relaxed' },
    time: { type: 'string', default: '400' },
    'col-budget': { type: 'string' },
  },
  strict: true,
});

/** A distinct call of the graph (its label names its shape) and how often the graph makes it. */
type Shape = { label: string; count: number; flops: number; call: KernelCall };

/** The distinct calls of the graph, in first-seen order, with how often each occurs. */
function distinct(calls: readonly KernelCall[]): Shape[] {
  const byLabel = new Map<string, Shape>();
  for (const c of calls) {
    const s = byLabel.get(c.label);
    if (s === undefined) byLabel.set(c.label, { label: c.label, count: 1, flops: c.flops, call: c });
    else s.count++;
  }
  return [...byLabel.values()];
}

async function timeShapes(b: WasmBackend, shapes: readonly Shape[], time: number): Promise<Map<string, number>> {
  const tasks: Task[] = shapes.map((s) => ({ name: s.label, flops: s.flops, fn: kernelReplay([s.call], b) }));
  const res = await medians(tasks, time);
  return new Map([...res].map(([k, v]) => [k, v.ms]));
}

/** The step whose kernels are profiled: the benchmark GAN (plain or +SN) or the 8-Gaussians MLP GAN. */
function modelRunners(model: string, b: WasmBackend): StepRunners {
  if (model === 'gan') return stepRunners(benchmarkGanConfig({ sn: values.sn }), b);
  if (model === 'gaussians') return stepRunners(gaussianConfig('nonsaturating'), b, { makeReal: (k) => sampleMixture(ring8, k, 256) });
  throw new Error(`--model must be gan or gaussians, got ${model}`);
}

async function main(): Promise<void> {
  const variant = values.variant as WasmVariant;
  const time = Number(values.time);
  if (!Number.isFinite(time) || time <= 0) throw new Error(`--time must be a positive number of ms, got ${values.time}`);
  const colBudgetFloats = values['col-budget'] === undefined ? undefined : Number(values['col-budget']);
  const budget = colBudgetFloats === undefined ? {} : { colBudgetFloats };
  const one = await loadWasmBackend({ variant, threads: 1, ...budget });
  const two = await loadWasmBackend({ variant, threads: 2, ...budget });
  const shapes = distinct(kernelCalls(modelRunners(values.model, one).lower()));
  const peak = await measurePeak(one, time);
  const t1 = await timeShapes(one, shapes, time);
  const t2 = await timeShapes(two, shapes, time);
  const rows = shapes.map((s) => {
    const ms1 = t1.get(s.label)!, ms2 = t2.get(s.label)!;
    return {
      name: s.label, count: s.count, mflops: s.flops / 1e6,
      ms1, ms2, fractionOfPeak1: s.flops / ms1 / 1e6 / peak.ofBuild, fractionOfPeak2: s.flops / ms2 / 1e6 / (2 * peak.ofBuild), speedup: ms1 / ms2,
    };
  });
  const total = (k: 'ms1' | 'ms2'): number => rows.reduce((acc, r) => acc + r.count * r[k], 0);
  const flops = shapes.reduce((acc, s) => acc + s.count * s.flops, 0);
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify({ ...r, variant, peakGflops: peak.ofBuild }));
    console.log(JSON.stringify({ name: 'all kernels', variant, ms1: total('ms1'), ms2: total('ms2'), gflop: flops / 1e9, peakGflops: peak.ofBuild }));
  } else {
    console.log(`${variant} build, im2col budget ${colBudgetFloats ?? 'default'} floats, one core's peak ${peak.ofBuild.toFixed(1)} GFLOP/s; ms are medians of one call`);
    const pct = (x: number): string => `${(100 * x).toFixed(0)}%`.padStart(5);
    console.log(`${'kernel'.padEnd(62)} ×  MFLOP   1T ms  peak   2T ms  peak  2T/1T  Σ2T ms`);
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(62)} ${String(r.count).padStart(1)} ${r.mflops.toFixed(0).padStart(6)} ${r.ms1.toFixed(2).padStart(7)} ${pct(r.fractionOfPeak1)} ${r.ms2.toFixed(2).padStart(7)} ${pct(r.fractionOfPeak2)} ${r.speedup.toFixed(2).padStart(6)} ${(r.count * r.ms2).toFixed(1).padStart(7)}`,
      );
    }
    const ms1 = total('ms1'), ms2 = total('ms2');
    console.log(`all ${shapes.reduce((a, s) => a + s.count, 0)} calls: ${ms1.toFixed(1)} ms on 1 thread (${pct(flops / ms1 / 1e6 / peak.ofBuild)} of peak), ${ms2.toFixed(1)} ms on 2 (${pct(flops / ms2 / 1e6 / (2 * peak.ofBuild))}), ${(ms1 / ms2).toFixed(2)}×`);
  }
  await one.close();
  await two.close();
}

await main();
