/**
 * The whole GAN training step (tinybench): ms per iteration of the benchmark GAN
 * (`helpers/benchmark_gan.ts`: batch 64, hinge, Adam 2e-4 (0, 0.9), one D step then one G step),
 * its "+SN" variant and the 8-Gaussians MLP GAN (G and D 2 → 128 → 128 → out, batch 256, as in
 * `gaussian_gan.ts`), through `makeTrainStep`, eager and jitted, on each thread count and each
 * wasm build — set against, in the same interleaved rounds:
 *
 * - the WASM SIMD peak (register-only loops, `helpers/peak.ts`), per core, of the build's own
 *   instruction mix (FMA on relaxed, mul+add on simd); fractions of peak are of threads × that;
 * - the step's kernels alone: every matmul / convolution / power iteration of the jitted
 *   step's graph, replayed back to back on preallocated buffers (`helpers/kernel_calls.ts`,
 *   which also documents the flop count: 2·m·n·k per matmul, 2·N·O·OH·OW·C·KH·KW per conv,
 *   its input gradient and its weight gradient; about 10.3 GFLOP for the benchmark GAN):
 *   overhead = 1 − step speed / kernel speed = 1 − kernel ms / step ms;
 * - TensorFlow.js 4.22 on its wasm backend, the same benchmark GAN step (`peers/tfjs_gan_step.ts`;
 *   its filter gradient is built from public ops and tested against puregan's);
 * - with `--peers`, PyTorch (`peers/pytorch_gan_step.py`) on 1 and 2 threads, when a python3
 *   with torch is found: the benchmark GAN step and the 8-Gaussians step.
 *
 * Ratios are medians over rounds of per-round ratios (both sides measured in the same round).
 * Each row also has the CPU time per call (user + system, all threads of the process; for
 * PyTorch its process time): on a machine with more runnable threads than cores, the CPU
 * time of a one-thread run is close to its time on an idle core, while its wall time is not.
 * CPU-time fractions of peak are of one core's peak from the peak loop's own CPU time.
 *
 *     npm run bench:gan [-- --json] [--quick] [--peers] [--rounds 5] [--threads 1 --threads 2]
 *                       [--variant simd --variant relaxed] [--skip-tfjs]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadWasmBackend, type WasmBackend, type WasmVariant } from '../src/backend/wasm/index.js';
import { ring8, sampleMixture } from '../src/data/gaussians.js';
import { benchmarkGanConfig, stepRunners, type StepRunners } from './helpers/benchmark_gan.js';
import { kernelCalls, kernelReplay, totalFlops } from './helpers/kernel_calls.js';
import { cpuMedianOf, cpuRoundRatio, interleavedRounds, medianOf, roundRatio, type RoundCpu, type RoundSamples, type RoundTask } from './helpers/rounds.js';
import { gaussianConfig } from './gaussian_gan.js';
import { initTfjsWasm, makeTfjsGanStep } from './peers/tfjs_gan_step.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    peers: { type: 'boolean', default: false },
    'skip-tfjs': { type: 'boolean', default: false },
    rounds: { type: 'string' },
    threads: { type: 'string', multiple: true },
    variant: { type: 'string', multiple: true },
  },
  strict: true,
});

type Model = Readonly<{ id: string; label: string; runners: (b: WasmBackend) => StepRunners; iterations: number }>;

const MODELS: readonly Model[] = [
  { id: 'gan', label: 'benchmark GAN', runners: (b) => stepRunners(benchmarkGanConfig({ sn: false }), b), iterations: 1 },
  { id: 'gan+sn', label: 'benchmark GAN +SN', runners: (b) => stepRunners(benchmarkGanConfig({ sn: true }), b), iterations: 1 },
  {
    id: 'gaussians',
    label: '8-Gaussians MLP GAN (batch 256)',
    runners: (b) => stepRunners(gaussianConfig('nonsaturating'), b, { makeReal: (k) => sampleMixture(ring8, k, 256) }),
    iterations: 20,
  },
];

type Row = Record<string, unknown> & { name: string };

const cpuModel = (): string => /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** A python3 that imports torch, or undefined. */
function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', env: peerEnv() });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** The environment for the PyTorch peer: without this machine's OpenBLAS overrides. */
function peerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

const PYTORCH_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/peers/pytorch_gan_step.py');

/** The PyTorch peer's step of `model` (the script's `--model`: `gan`, the benchmark GAN, or `gaussians`) on `threads` threads. */
function torchTask(py: string, o: Readonly<{ model: 'gan' | 'gaussians'; threads: number; iterations: number }>): RoundTask {
  const { model, threads, iterations } = o;
  return {
    name: model === 'gan' ? `pytorch|${threads}` : `pytorch-${model}|${threads}`,
    iterations,
    external: () => {
      const args = [PYTORCH_SCRIPT, '--json', '--model', model, '--threads', String(threads), '--iters', String(iterations), '--warmup', String(model === 'gan' ? 1 : 20)];
      const r = spawnSync(py, args, { encoding: 'utf8', env: peerEnv() });
      if (r.status !== 0) throw new Error(`the PyTorch peer failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as { samples: number[]; cpuMs: number };
    },
  };
}

type Prepared = Readonly<{ backend: WasmBackend; threads: number; model: Model; flops: number; kernels: number; tasks: RoundTask[] }>;

function prepare(backend: WasmBackend, model: Model, iterations: number): Prepared {
  const r = model.runners(backend);
  r.eager();
  r.jit(); // traces and compiles
  r.jit();
  const calls = kernelCalls(r.lower());
  const replay = kernelReplay(calls, backend);
  replay();
  const key = (mode: string): string => `${model.id}|${backend.variant}|${backend.threads}|${mode}`;
  return {
    backend,
    threads: backend.threads,
    model,
    flops: totalFlops(calls),
    kernels: calls.length,
    tasks: [
      { name: key('eager'), iterations, fn: r.eager },
      { name: key('jit'), iterations, fn: r.jit },
      { name: key('kernels'), iterations, fn: replay },
    ],
  };
}

async function main(): Promise<void> {
  const rounds = Number(values.rounds ?? (values.quick ? 2 : 5));
  type Samples = Readonly<{ wall: RoundSamples; cpu: RoundCpu }>;
  const threadCounts = (values.threads ?? ['1', '2']).map(Number);
  const variants = (values.variant ?? ['simd', 'relaxed']) as WasmVariant[];
  if (!Number.isSafeInteger(rounds) || rounds < 1 || threadCounts.some((t) => !Number.isSafeInteger(t) || t < 1)) {
    throw new Error(`--rounds and --threads must be positive integers, got ${values.rounds} and ${values.threads}`);
  }
  const scale = values.quick ? 0.5 : 1;
  const rows: Row[] = [];
  const notes: string[] = [`CPU: ${cpuModel()}; load average at start: ${load()}`];
  if ((globalThis as { gc?: unknown }).gc === undefined) notes.push('run with node --expose-gc (npm run bench:gan does) to collect garbage between tasks');
  let peers: RoundTask[] = [];
  let tfjsDispose: (() => void) | undefined;
  if (!values['skip-tfjs']) {
    const info = await initTfjsWasm();
    const tfjs = makeTfjsGanStep();
    tfjs.step();
    tfjsDispose = tfjs.dispose;
    peers.push({ name: 'tfjs|1', iterations: 1, fn: tfjs.step });
    notes.push(
      `TensorFlow.js ${info.version}, wasm backend (SIMD ${info.simd ? 'on' : 'off'}, ${info.threads} thread: no multithreading in Node); ` +
        'its wasm backend has no conv2d filter-gradient kernel, so the filter gradient is a dilated tf.conv2d of the input by the output gradient ' +
        '(bench/peers/tfjs_conv_grads.ts), checked against puregan\'s weight gradient on the four convolutions of this GAN (test/bench/peers/tfjs_conv_grads.test.ts)',
    );
  }
  if (values.peers) {
    const py = findTorchPython();
    if (py === undefined) notes.push('PyTorch peer skipped: no python3 with torch found (apt-get install python3-torch libopenblas0-pthread)');
    else {
      peers.push(...threadCounts.map((threads) => torchTask(py, { model: 'gan', threads, iterations: 2 })));
      peers.push(...threadCounts.map((threads) => torchTask(py, { model: 'gaussians', threads, iterations: 100 })));
    }
  }

  for (const variant of variants) {
    const backends: WasmBackend[] = [];
    for (const threads of threadCounts) {
      try {
        backends.push(await loadWasmBackend({ variant, threads }));
      } catch (e) {
        notes.push(`skipping the ${variant} build with ${threads} thread(s): ${(e as Error).message}`);
      }
    }
    if (backends.length === 0) continue;
    const first = backends[0]!;
    // Calls of about the length of a kernel's, so that time-slicing affects them alike.
    const iters = 10_000_000;
    const fma = variant === 'relaxed';
    const peakFlops = first.peak(1, fma) * iters;
    const prepared = backends.flatMap((b) => MODELS.map((m) => prepare(b, m, Math.max(1, Math.round(m.iterations * scale)))));
    const tasks: RoundTask[] = [{ name: `peak|${variant}`, iterations: 5, fn: () => first.peak(iters, fma) }, ...prepared.flatMap((p) => p.tasks), ...peers];
    const samples: Samples = await interleavedRounds(tasks, rounds, (r) => {
      if (!values.json) console.error(`${variant}: round ${r + 1}/${rounds} done, load average ${load()}`);
    });
    const peakMs = medianOf(samples.wall, `peak|${variant}`), peakCpuMs = cpuMedianOf(samples.cpu, `peak|${variant}`);
    const peak = { wall: peakFlops / peakMs / 1e6, cpu: peakFlops / peakCpuMs / 1e6 };
    rows.push({ name: `peak ${fma ? 'FMA' : 'mul+add'} (register-only), one core`, build: variant, threads: 1, ms: peakMs, gflops: peak.wall, cpuMs: peakCpuMs, cpuGflops: peak.cpu });
    for (const p of prepared) rows.push(...modelRows(p, samples, peak));
    rows.push(...ratioRows(prepared, samples, variant));
    rows.push(...peerRows(samples, prepared, variant));
    peers = []; // the peers run in the first build's rounds only
    for (const b of backends) await b.close();
  }
  tfjsDispose?.();
  notes.push(`load average at end: ${load()}`);
  print(rows, notes);
}

function modelRows(p: Prepared, samples: Readonly<{ wall: RoundSamples; cpu: RoundCpu }>, peakPerCore: Readonly<{ wall: number; cpu: number }>): Row[] {
  const key = (mode: string): string => `${p.model.id}|${p.backend.variant}|${p.threads}|${mode}`;
  const peak = peakPerCore.wall * p.threads;
  return (['eager', 'jit', 'kernels'] as const).map((mode) => {
    const ms = medianOf(samples.wall, key(mode));
    const cpuMs = cpuMedianOf(samples.cpu, key(mode));
    const gflops = p.flops / ms / 1e6;
    return {
      name: `${p.model.label}, ${mode === 'kernels' ? `its ${p.kernels} kernels alone` : mode}`,
      model: p.model.id,
      mode,
      build: p.backend.variant,
      threads: p.threads,
      ms,
      gflops,
      flops: p.flops,
      peakGflops: peak,
      fractionOfPeak: gflops / peak,
      msAtPeak: p.flops / peak / 1e6,
      cpuMs,
      cpuPeakGflops: peakPerCore.cpu,
      /** GFLOP per CPU-second over one core's peak per CPU-second. */
      cpuFractionOfPeak: p.flops / cpuMs / 1e6 / peakPerCore.cpu,
      cpuMsAtPeak: p.flops / peakPerCore.cpu / 1e6,
      samples: samples.wall.get(key(mode))!.flat().length,
    };
  });
}

type Both = Readonly<{ wall: RoundSamples; cpu: RoundCpu }>;
const ratio = (s: Both, a: string, b: string): { value: number; cpuValue: number } => ({ value: roundRatio(s.wall, a, b), cpuValue: cpuRoundRatio(s.cpu, a, b) });
const minusOne = (r: { value: number; cpuValue: number }, flip = false): { value: number; cpuValue: number } =>
  flip ? { value: 1 - r.value, cpuValue: 1 - r.cpuValue } : { value: r.value - 1, cpuValue: r.cpuValue - 1 };

function ratioRows(prepared: readonly Prepared[], samples: Both, variant: string): Row[] {
  const out: Row[] = [];
  const key = (model: string, threads: number, mode: string): string => `${model}|${variant}|${threads}|${mode}`;
  const threadList = [...new Set(prepared.map((p) => p.threads))];
  for (const p of prepared) {
    for (const mode of ['eager', 'jit']) {
      const kernelsOverStep = ratio(samples, key(p.model.id, p.threads, 'kernels'), key(p.model.id, p.threads, mode));
      out.push({ name: `overhead of the ${mode} ${p.model.label} step (1 − kernel ms / step ms)`, model: p.model.id, mode, build: variant, threads: p.threads, ...minusOne(kernelsOverStep, true) });
    }
    out.push({ name: `jit speed-up over eager, ${p.model.label}`, model: p.model.id, build: variant, threads: p.threads, ...ratio(samples, key(p.model.id, p.threads, 'eager'), key(p.model.id, p.threads, 'jit')) });
  }
  for (const t of threadList) {
    for (const mode of ['eager', 'jit']) {
      out.push({ name: `+SN cost over the plain step, ${mode}`, model: 'gan+sn', mode, build: variant, threads: t, ...minusOne(ratio(samples, key('gan+sn', t, mode), key('gan', t, mode))) });
    }
  }
  if (threadList.includes(1)) {
    for (const t of threadList.filter((x) => x > 1)) {
      for (const m of MODELS) {
        for (const mode of ['eager', 'jit', 'kernels']) {
          // CPU column: 1-thread CPU ms / n-thread CPU ms (below 1 when threads add work).
          out.push({ name: `${t}-thread speed-up, ${m.label}, ${mode}`, model: m.id, mode, build: variant, threads: t, ...ratio(samples, key(m.id, 1, mode), key(m.id, t, mode)) });
        }
      }
    }
  }
  return out;
}

function peerRows(samples: Both, prepared: readonly Prepared[], variant: string): Row[] {
  const out: Row[] = [];
  const threadList = [...new Set(prepared.map((p) => p.threads))];
  const peerSteps = [
    { peer: 'tfjs', label: 'TensorFlow.js wasm', model: 'gan' },
    { peer: 'pytorch', label: 'PyTorch CPU', model: 'gan' },
    { peer: 'pytorch-gaussians', label: 'PyTorch CPU', model: 'gaussians' },
  ] as const;
  for (const { peer, label, model } of peerSteps) {
    const ours = prepared.find((p) => p.model.id === model);
    if (ours === undefined) continue;
    for (const peerThreads of [1, 2]) {
      const name = `${peer}|${peerThreads}`;
      if (!samples.wall.has(name)) continue;
      const ms = medianOf(samples.wall, name);
      const mode = peer.startsWith('pytorch') ? 'pytorch' : peer;
      out.push({ name: `${label}, ${ours.model.label} step`, model, mode, threads: peerThreads, ms, gflops: ours.flops / ms / 1e6, cpuMs: cpuMedianOf(samples.cpu, name), samples: samples.wall.get(name)!.flat().length });
      for (const t of threadList) {
        out.push({ name: `${label} (${peerThreads} thread) ms / puregan jit ms, ${ours.model.label}`, model, build: variant, threads: t, ...ratio(samples, name, `${model}|${variant}|${t}|jit`) });
      }
    }
  }
  return out;
}

function print(rows: readonly Row[], notes: readonly string[]): void {
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    for (const n of notes) console.log(JSON.stringify({ name: 'note', note: n }));
    return;
  }
  const f = (v: unknown, d: number): string => (typeof v === 'number' ? v.toFixed(d) : '');
  const pct = (v: unknown): string => (typeof v === 'number' ? `${(100 * v).toFixed(0)}%` : '');
  const ms = (v: unknown): string => (typeof v === 'number' ? v.toFixed(v < 10 ? 2 : 0) : '');
  console.log('| step | build | threads | median ms | GFLOP/s | % of peak | ms at peak | CPU ms | % of peak per CPU-second | CPU ms at peak | samples |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows.filter((x) => x.ms !== undefined)) {
    console.log(
      `| ${r.name} | ${String(r.build ?? '')} | ${String(r.threads)} | ${ms(r.ms)} | ${f(r.gflops, 1)} | ${pct(r.fractionOfPeak)} | ${f(r.msAtPeak, 2)} | ${ms(r.cpuMs)} | ${pct(r.cpuFractionOfPeak)} | ${f(r.cpuMsAtPeak, 2)} | ${String(r.samples ?? '')} |`,
    );
  }
  console.log('\n| ratio (median over rounds of per-round ratios) | build | threads | wall time | CPU time |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows.filter((x) => x.value !== undefined)) {
    const show = (v: number): string => (r.name.startsWith('overhead') || r.name.startsWith('+SN') ? `${(100 * v).toFixed(0)}%` : `${v.toFixed(2)}×`);
    console.log(`| ${r.name} | ${String(r.build ?? '')} | ${String(r.threads)} | ${show(r.value as number)} | ${show(r.cpuValue as number)} |`);
  }
  console.log('');
  for (const n of notes) console.log(n);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
