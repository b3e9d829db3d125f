import { BackendError } from '../../core/errors.js';
import type { WasmBackend, WasmBackendOptions, WasmVariant } from './api.js';
import { createArena, createMemory, MAX_MEMORY_BYTES, PAGE_BYTES } from './arena.js';
import type { WasmExports } from './exports.js';
import { createAdamDriver } from './adam.js';
import { createGatherDriver } from './gather.js';
import { createGemmDriver } from './gemm.js';
import { createKernels } from './kernels.js';
import { compileKernels, instantiateKernels } from './load.js';
import { compileResident } from './resident.js';
import { isNode } from './platform.js';
import { singleThread, startPool, type WorkerPool } from './pool.js';
import { DEFAULT_SPIN_MS } from './protocol.js';

/**
 * The wasm backend (default): the AssemblyScript kernels of `assembly/index.ts`.
 * `variant: 'auto'` picks the relaxed-SIMD build when the engine validates it (in Node 20 after
 * setting V8's `--experimental-wasm-relaxed-simd`), else the plain SIMD one.
 *
 *   load.ts     reading, probing and compiling a build          arena.ts     linear memory layout
 *   pool.ts     worker_threads + Atomics (worker.ts, protocol)  operand.ts   GEMM matrix views
 *   gemm.ts     the GEMM driver, split across threads           gather.ts    im2col / col2im drivers
 *   kernels.ts  the Backend kernels on Float32Arrays            api.ts       the public types
 *   resident.ts the jit compiler: graphs resident in memory     fused_program.ts  fused groups as interpreter programs
 *   exports.ts  the module's exports, typed                     platform.ts  whether this is Node
 *   adam.ts     the fused Adam step, split across threads
 */
export type { WasmBackend, WasmBackendOptions, WasmBuild, WasmKernels, WasmVariant } from './api.js';

/** The default cap on linear memory. */
const DEFAULT_MAX_MEMORY_BYTES = 2 ** 30;
/** The default im2col chunk: 1 Mi floats = 4 MiB of columns (measured best on the benchmark GAN, see the README). */
const DEFAULT_COL_BUDGET_FLOATS = 2 ** 20;
/** The most threads a backend accepts. */
const MAX_THREADS = 64;

/** Loads the wasm backend. Rejects with a BackendError when the build cannot be read or run. */
export async function loadWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const want = opts.variant ?? 'auto';
  if (want !== 'auto' && want !== 'simd' && want !== 'relaxed') {
    throw new BackendError(`unknown wasm variant "${String(want)}"; expected auto, simd or relaxed`);
  }
  const maxBytes = opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  if (!Number.isFinite(maxBytes) || maxBytes < 16 * PAGE_BYTES || maxBytes > MAX_MEMORY_BYTES) {
    throw new BackendError(`maxMemoryBytes must be between ${16 * PAGE_BYTES} and ${MAX_MEMORY_BYTES}, got ${maxBytes}`);
  }
  const threads = opts.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new BackendError(`threads must be an integer between 1 and ${MAX_THREADS}, got ${threads}`);
  }
  if (threads > 1 && (!isNode || typeof SharedArrayBuffer === 'undefined')) {
    throw new BackendError('threads > 1 needs Node worker_threads and SharedArrayBuffer; use threads: 1 here');
  }
  const spinMs = opts.spinMs ?? DEFAULT_SPIN_MS;
  if (!Number.isFinite(spinMs) || spinMs < 0) throw new BackendError(`spinMs must be a number of ms ≥ 0, got ${spinMs}`);
  const minSplitFlops = opts.gemmMinSplitFlops;
  if (minSplitFlops !== undefined && !(Number.isFinite(minSplitFlops) && minSplitFlops >= 0)) {
    throw new BackendError(`gemmMinSplitFlops must be a number of flops ≥ 0, got ${minSplitFlops}`);
  }
  const shared = threads > 1;
  const { variant, module } = await compileKernels({ variant: want, shared, sources: opts.sources });
  const memory = createMemory(maxBytes, shared);
  const exports = await instantiateKernels(module, memory);
  const pool = shared ? await startPool({ module, memory, threads, spinMs }) : singleThread;
  const backend = createWasmBackend({
    exports,
    memory,
    variant,
    maxBytes,
    colBudgetFloats: opts.colBudgetFloats ?? DEFAULT_COL_BUDGET_FLOATS,
    pool,
    ...(opts.jitExactMath === undefined ? {} : { exactMath: opts.jitExactMath }),
    ...(minSplitFlops === undefined ? {} : { minSplitFlops }),
  });
  warmUp(backend);
  // V8 compiles hot wasm functions with its optimising tier in the background; yield once so
  // the first real call does not run the baseline code.
  await new Promise((resolve) => setTimeout(resolve, 1));
  return backend;
}

/** The backend on an instantiated module: its arena on `memory`, its jobs split across `pool`. */
export function createWasmBackend(
  opts: Readonly<{ exports: WasmExports; memory: WebAssembly.Memory; variant: WasmVariant; maxBytes: number; colBudgetFloats: number; pool: WorkerPool; exactMath?: boolean; minSplitFlops?: number }>,
): WasmBackend {
  const { exports: k, variant, pool } = opts;
  const { threads } = pool;
  const arena = createArena({ memory: opts.memory, heapBase: k.heapBase(), scratchBytes: k.scratchBytes(), threads, maxBytes: opts.maxBytes });
  const { kernels, at } = createKernels({
    exports: k,
    arena,
    gemm: createGemmDriver({ exports: k, arena, pool, ...(opts.minSplitFlops === undefined ? {} : { minSplitFlops: opts.minSplitFlops }) }),
    gather: createGatherDriver({ exports: k, arena, pool }),
    adam: createAdamDriver({ exports: k, arena, pool }),
    colBudgetFloats: opts.colBudgetFloats,
  });
  const microRows = k.microRows();
  const tile = `${microRows}×${k.microCols()} register tile${threads > 1 ? `, ${threads} threads` : ''}`;
  const peakAccumulators = k.peakAccumulators();
  return {
    name: 'wasm',
    description: variant === 'relaxed' ? `wasm relaxed SIMD (f32x4.relaxed_madd, ${tile})` : `wasm SIMD (f32x4 mul+add, ${tile})`,
    variant,
    microRows,
    threads,
    ...kernels,
    close: async () => {
      arena.close();
      await pool.close();
    },
    memoryBytes: arena.bytes,
    peak(iters, fma) {
      if (fma) k.peakFma(iters);
      else k.peakMulAdd(iters);
      return peakAccumulators * 4 * 2 * iters;
    },
    compile: (graph, ctx) => compileResident(graph, ctx, { arena, exports: k, kernels: at, pool, ...(opts.exactMath === undefined ? {} : { exactMath: opts.exactMath }) }),
    compileTimed: (graph, ctx, timer) =>
      compileResident(graph, ctx, { arena, exports: k, kernels: at, pool, timer, ...(opts.exactMath === undefined ? {} : { exactMath: opts.exactMath }) }),
  };
}

/** Runs every kernel on small inputs so that V8 tiers them up before the first real call. */
function warmUp(b: WasmBackend): void {
  const ones = (n: number): Float32Array => new Float32Array(n).fill(0.5);
  for (const [transA, transB] of [[false, false], [true, false], [false, true]] as const) {
    b.gemm(ones(96 * 64), ones(64 * 64), { m: 96, n: 64, k: 64, transA, transB });
    // Large enough to be split across threads, so the workers' code is tiered up too.
    if (b.threads > 1) b.gemm(ones(128 * 128), ones(128 * 128), { m: 128, n: 128, k: 128, transA, transB });
  }
  const g = { n: 2, c: 4, h: 10, w: 10, o: 8, kh: 3, kw: 3, strideH: 2, strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1, oh: 5, ow: 5 };
  b.conv2d(ones(800), ones(288), g);
  b.conv2dGradInput(ones(400), ones(288), g);
  b.conv2dGradWeight(ones(800), ones(400), g);
  b.powerIteration(ones(16 * 32), 16, 32, ones(16));
  const n = b.threads > 1 ? 1 << 16 : 1024;
  const spec = { rule: 'adam', b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none', c1: 0.1, c2: 0.001, lr: 1e-3 } as const;
  b.adamUpdate([{ param: ones(n), grad: ones(n), m: ones(n), v: ones(n) }], spec);
}
