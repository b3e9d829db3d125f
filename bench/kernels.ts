/**
 * Kernel benchmark (tinybench): the machine's WASM SIMD peak, measured in the same run, then
 * GEMM and the benchmark GAN's convolutions on every wasm build this engine runs, reported as
 * GFLOP/s and as a fraction of the peak of the matching instruction mix (mul+add for the SIMD
 * build, FMA for the relaxed build).
 *
 *     npm run bench                 # table
 *     npm run bench -- --json       # one JSON object per line
 *     npm run bench -- --quick      # shorter time per task (CI smoke run)
 *     npm run bench -- --threads 1 --threads 2 --variant relaxed --filter conv
 *
 * Times are medians of whole backend calls: copying the inputs into wasm memory,
 * im2col/col2im, the GEMM and copying the result out. Each kernel is measured twice: writing
 * into a preallocated `out` array (the kernel's cost; GFLOP/s and % of peak use this) and
 * returning a fresh array (what an op pays; on this VM fresh multi-MB arrays are expensive,
 * see the README).
 */
import { parseArgs } from 'node:util';
import { measurePeak, medians, rand } from './helpers/peak.js';
import { convGeometry, convTransposeGeometry } from '../src/backend/geometry.js';
import { loadWasmBackend, type WasmBackend, type WasmVariant } from '../src/backend/wasm/index.js';
import type { ConvGeometry } from '../src/backend/backend.js';

type Row = {
  name: string;
  variant: WasmVariant;
  threads: number;
  ms: number;
  /** Median with a freshly allocated result array. */
  freshMs?: number;
  gflops?: number;
  peakGflops?: number;
  fractionOfPeak?: number;
  samples: number;
};

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    variant: { type: 'string', multiple: true },
    threads: { type: 'string', multiple: true },
    filter: { type: 'string' },
  },
  strict: true,
});

type Task = { name: string; flops?: number; fn: (out?: Float32Array) => Float32Array | number };

function kernelTasks(b: WasmBackend): Task[] {
  const tasks: Task[] = [];
  for (const n of [256, 512]) {
    const a = rand(n * n, 1), bb = rand(n * n, 2);
    tasks.push({ name: `gemm ${n}x${n}x${n}`, flops: 2 * n ** 3, fn: (o) => b.gemm(a, bb, { m: n, n, k: n, transA: false, transB: false }, o) });
  }
  const n = 256, a = rand(n * n, 3), bb = rand(n * n, 4);
  tasks.push({ name: `gemm ${n}^3 NT`, flops: 2 * n ** 3, fn: (o) => b.gemm(a, bb, { m: n, n, k: n, transA: false, transB: true }, o) });
  tasks.push({ name: `gemm ${n}^3 TN`, flops: 2 * n ** 3, fn: (o) => b.gemm(a, bb, { m: n, n, k: n, transA: true, transB: false }, o) });

  const convFlops = (g: ConvGeometry): number => 2 * g.n * g.o * g.oh * g.ow * g.c * g.kh * g.kw;
  const s2 = { stride: 2, padding: 1 } as const;
  for (const [label, xs, ws] of [
    ['conv 1->64 28x28', [64, 1, 28, 28], [64, 1, 4, 4]],
    ['conv 64->128 14x14', [64, 64, 14, 14], [128, 64, 4, 4]],
  ] as const) {
    const g = convGeometry(xs, ws, s2);
    const x = rand(g.n * g.c * g.h * g.w, 5), w = rand(g.o * g.c * g.kh * g.kw, 6), dy = rand(g.n * g.o * g.oh * g.ow, 7);
    tasks.push({ name: `${label} fwd`, flops: convFlops(g), fn: (o) => b.conv2d(x, w, g, o) });
    tasks.push({ name: `${label} grad-input`, flops: convFlops(g), fn: (o) => b.conv2dGradInput(dy, w, g, o) });
    tasks.push({ name: `${label} grad-weight`, flops: convFlops(g), fn: (o) => b.conv2dGradWeight(x, dy, g, o) });
  }
  for (const [label, xs, ws] of [
    ['convT 128->64 7x7', [64, 128, 7, 7], [128, 64, 4, 4]],
    ['convT 64->1 14x14', [64, 64, 14, 14], [64, 1, 4, 4]],
  ] as const) {
    const g = convTransposeGeometry(xs, ws, s2);
    const x = rand(g.n * g.o * g.oh * g.ow, 8), w = rand(g.o * g.c * g.kh * g.kw, 9);
    // A transposed conv is the input gradient of the forward conv with geometry g.
    tasks.push({ name: label, flops: convFlops(g), fn: (o) => b.conv2dGradInput(x, w, g, o) });
  }
  {
    const g = convGeometry([64, 64, 14, 14], [128, 64, 4, 4], s2);
    const x = rand(g.n * g.c * g.h * g.w, 10), col = rand(g.c * g.kh * g.kw * g.n * g.oh * g.ow, 11);
    tasks.push({ name: 'im2col 64x14x14 k4s2 (12.8 MB out)', fn: (o) => b.im2col(x, g, o) });
    tasks.push({ name: 'col2im 64x14x14 k4s2 (12.8 MB in)', fn: (o) => b.col2im(col, g, o) });
  }
  {
    const rows = 128, cols = 64 * 16, w = rand(rows * cols, 12), u = rand(rows, 13);
    tasks.push({ name: 'power iteration 128x1024', flops: 4 * rows * cols, fn: () => b.powerIteration(w, rows, cols, u).sigma });
  }
  return values.filter === undefined ? tasks : tasks.filter((t) => t.name.includes(values.filter!));
}

async function measure(tasks: readonly Task[], time: number, reuse: boolean): Promise<Map<string, { ms: number; samples: number }>> {
  const calls = tasks.map((t) => {
    const first = t.fn();
    const out = reuse && typeof first !== 'number' ? new Float32Array(first.length) : undefined;
    return { name: t.name, fn: () => t.fn(out) };
  });
  return medians(calls, time);
}

async function main(): Promise<void> {
  const time = values.quick ? 150 : 1000;
  const variants = (values.variant ?? ['simd', 'relaxed']) as WasmVariant[];
  const threadCounts = (values.threads ?? ['1']).map(Number);
  if (threadCounts.some((t) => !Number.isSafeInteger(t) || t < 1)) throw new Error(`--threads must be positive integers, got ${values.threads}`);
  const rows: Row[] = [];
  for (const variant of variants) {
    for (const threads of threadCounts) {
      let b: WasmBackend;
      try {
        b = await loadWasmBackend({ variant, threads });
      } catch (e) {
        console.error(`skipping ${variant} with ${threads} threads: ${(e as Error).message}`);
        continue;
      }
      // The peak of one core; with n threads the fraction is of n times that.
      const measured = await measurePeak(b, time / 2);
      const peak = measured.ofBuild * threads;
      if (threads === 1) {
        for (const r of measured.rows) rows.push({ name: r.name, variant, threads, ms: r.ms, gflops: r.gflops, samples: r.samples });
      }
      const tasks = kernelTasks(b);
      const res = await measure(tasks, time, true);
      const fresh = await measure(tasks, time / 2, false);
      for (const t of tasks) {
        const r = res.get(t.name)!;
        const row: Row = { name: t.name, variant, threads, ms: r.ms, freshMs: fresh.get(t.name)!.ms, samples: r.samples };
        if (t.flops !== undefined) {
          row.gflops = t.flops / r.ms / 1e6;
          row.peakGflops = peak;
          row.fractionOfPeak = row.gflops / peak;
        }
        rows.push(row);
      }
      await b.close();
    }
  }
  if (values.json) {
    for (const r of rows) console.log(JSON.stringify(r));
    return;
  }
  const fmt = (v: number | undefined, d: number): string => (v === undefined ? '' : v.toFixed(d));
  console.log('| kernel | build | threads | median ms | GFLOP/s | % of peak | ms, fresh result |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const pct = r.fractionOfPeak === undefined ? '' : `${(100 * r.fractionOfPeak).toFixed(0)}%`;
    console.log(`| ${r.name} | ${r.variant} | ${r.threads} | ${fmt(r.ms, 3)} | ${fmt(r.gflops, 1)} | ${pct} | ${fmt(r.freshMs, 3)} |`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
