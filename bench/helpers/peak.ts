/**
 * The machine's WASM SIMD peak, measured on a loaded wasm backend with its register-only loops
 * (`WasmBackend.peak`: accumulators × 4 lanes × 2 flops per iteration, no memory traffic), and
 * the small tinybench helpers the benches share.
 */
import { Bench } from 'tinybench';
import type { WasmBackend } from '../../src/backend/wasm/index.js';

/** Deterministic values in [−1, 1) (an LCG), so every run feeds the kernels the same data. */
export function rand(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** One benchmark task: a name, the flops one call performs (when it has a meaning) and the call. */
export type Task = Readonly<{ name: string; flops?: number; fn: () => unknown }>;

/** Median latency (ms) and sample count of each task, run once each by tinybench for about `time` ms. */
export async function medians(tasks: readonly Task[], time: number): Promise<Map<string, { ms: number; samples: number }>> {
  const bench = new Bench({ time, warmupTime: time / 4, warmupIterations: 2, iterations: 5, throws: true });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  const out = new Map<string, { ms: number; samples: number }>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`benchmark task ${task.name} did not complete (${r.state})`);
    out.set(task.name, { ms: r.latency.p50, samples: r.latency.samplesCount });
  }
  return out;
}

/** GFLOP/s of one core on the register-only loops, and their median ms per call. */
export type Peak = Readonly<{
  /** f32x4 mul then add. */
  mulAdd: number;
  /** f32x4.relaxed_madd, on the relaxed build only. */
  fma?: number;
  /** The peak of the build's own instruction mix (FMA on relaxed, mul+add on simd): fractions of peak are of this. */
  ofBuild: number;
  rows: ReadonlyArray<Readonly<{ name: string; ms: number; gflops: number; samples: number }>>;
}>;

/**
 * Measures one core's peak on `b` for about `time` ms per loop (the threads of `b` do not take
 * part: with n threads the peak of the machine is n times this).
 */
export async function measurePeak(b: WasmBackend, time: number, iters = 1_000_000): Promise<Peak> {
  const tasks: Task[] = [
    { name: 'peak mul+add (register-only)', flops: b.peak(1, false) * iters, fn: () => b.peak(iters, false) },
    ...(b.variant === 'relaxed' ? [{ name: 'peak FMA (register-only)', flops: b.peak(1, true) * iters, fn: () => b.peak(iters, true) }] : []),
  ];
  const res = await medians(tasks, time);
  const rows = tasks.map((t) => {
    const r = res.get(t.name)!;
    return { name: t.name, ms: r.ms, gflops: t.flops! / r.ms / 1e6, samples: r.samples };
  });
  const mulAdd = rows[0]!.gflops;
  const fma = rows[1]?.gflops;
  return { mulAdd, ...(fma !== undefined ? { fma } : {}), ofBuild: fma ?? mulAdd, rows };
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no samples');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
