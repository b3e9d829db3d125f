import * as E from 'fp-ts/lib/Either.js';
import { availableParallelism, cpus } from 'node:os';
import { createRequire } from 'node:module';
import { loadBackend } from '../backend/load.js';
import type { Backend } from '../backend/backend.js';
import type { WasmBackend } from '../backend/wasm/index.js';
import { convGeometry } from '../backend/geometry.js';
import { normal, key } from '../core/random.js';
import { defineCommand } from './command.js';

type Timing = { name: string; ms: number; gflops: number };

/** Median time of `f` over repeated runs filling about `budgetMs` (after a warm-up). */
function time(f: () => void, budgetMs: number): number {
  for (let i = 0; i < 3; i++) f();
  const samples: number[] = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 5) {
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/**
 * A short benchmark of the main kernels (the full one is `npm run bench`). Results go into
 * reused arrays where the backend supports `out=` (the wasm backend), so this measures the
 * kernels rather than the allocation of fresh result arrays.
 */
export function quickBench(backend: Backend, budgetMs = 400): Timing[] {
  const b = backend as Backend & Partial<Pick<WasmBackend, 'gemm' | 'conv2d'>>;
  const out: Timing[] = [];
  const n = 256;
  const a = normal(key(1), [n, n]).data;
  const c = normal(key(2), [n, n]).data;
  const outC = new Float32Array(n * n);
  const ms = time(() => b.gemm(a, c, { m: n, n, k: n, transA: false, transB: false }, outC), budgetMs);
  out.push({ name: 'gemm 256³', ms, gflops: (2 * n * n * n) / ms / 1e6 });
  const g = convGeometry([64, 64, 14, 14], [128, 64, 4, 4], { stride: 2, padding: 1 });
  const x = normal(key(3), [g.n, g.c, g.h, g.w]).data;
  const w = normal(key(4), [g.o, g.c, g.kh, g.kw]).data;
  const flops = 2 * g.n * g.o * g.oh * g.ow * g.c * g.kh * g.kw;
  const outY = new Float32Array(g.n * g.o * g.oh * g.ow);
  const cms = time(() => b.conv2d(x, w, g, outY), budgetMs);
  out.push({ name: 'conv2d 64→128 k4 s2 (N=64, 14×14)', ms: cms, gflops: flops / cms / 1e6 });
  return out;
}

const formatTiming = (t: Timing): string => `  ${t.name.padEnd(36)} ${t.ms.toFixed(2).padStart(8)} ms  ${t.gflops.toFixed(1).padStart(6)} GFLOP/s`;

/** `puregan info`: versions, machine, backends; `--bench` adds a short kernel benchmark. */
export const infoCommand = defineCommand({
  name: 'info',
  summary: 'environment, backends and (with --bench) a short kernel benchmark',
  args: [],
  flags: {
    bench: { type: 'boolean', help: 'time GEMM 256³ and a conv layer (one thread, and up to 4 threads)' },
    json: { type: 'boolean', help: 'one JSON object instead of text' },
  },
  details: 'Exit code 1 when the wasm backend cannot load.',
  async run({ flags }) {
    const pkg = createRequire(import.meta.url)('../../../package.json') as { version: string };
    const wasm = await loadBackend('wasm');
    const cores = availableParallelism();
    const threaded = flags.bench && cores > 1 ? await loadBackend('wasm', { threads: Math.min(cores, 4) }) : undefined;
    const info = {
      puregan: pkg.version,
      node: process.versions.node,
      v8: process.versions.v8,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores,
      wasmBackend: E.isRight(wasm) ? wasm.right.description : `unavailable: ${wasm.left.message}`,
      bench: flags.bench && E.isRight(wasm) ? quickBench(wasm.right) : undefined,
      threadedBackend: threaded && E.isRight(threaded) ? threaded.right.description : undefined,
      threadedBench: threaded && E.isRight(threaded) ? quickBench(threaded.right) : undefined,
    };
    if (threaded && E.isRight(threaded)) await threaded.right.close?.();
    if (flags.json) {
      console.log(JSON.stringify(info));
    } else {
      console.log(`puregan ${info.puregan} — Node ${info.node} (V8 ${info.v8}), ${info.cores} cores, ${info.cpu}`);
      console.log(`wasm backend: ${info.wasmBackend}`);
      for (const t of info.bench ?? []) console.log(formatTiming(t));
      if (info.threadedBackend !== undefined) console.log(`threaded: ${info.threadedBackend}`);
      for (const t of info.threadedBench ?? []) console.log(formatTiming(t));
    }
    return E.isRight(wasm) ? 0 : 1;
  },
});
