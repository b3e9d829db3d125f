import type { AdamLeaf, AdamStepSpec, Backend, ConvGeometry, GemmSpec } from '../backend.js';
import type { CompileContext, CompiledGraph, Graph } from '../graph.js';
import type { StepTimer } from './resident.js';

/**
 * The wasm backend's public types. The AssemblyScript kernels of `assembly/index.ts` are built
 * as `simd` (f32x4 mul + add) and `relaxed` (f32x4.relaxed_madd FMA), with the same register
 * tile, and a `-threads` variant of each on a shared memory.
 */
export type WasmVariant = 'simd' | 'relaxed';

/** One of the four .wasm files: a variant, on a private or (`-threads`) a shared memory. */
export type WasmBuild = WasmVariant | `${WasmVariant}-threads`;

export type WasmBackendOptions = Readonly<{
  /** Which build to load; 'auto' (default) prefers relaxed SIMD where the engine has it. */
  variant?: WasmVariant | 'auto';
  /** Upper bound on linear memory (default 1 GiB, at most 2 GiB). */
  maxMemoryBytes?: number;
  /** Size of the im2col buffer per chunk of images, in floats (default 1 Mi floats = 4 MiB, measured best on the benchmark GAN). */
  colBudgetFloats?: number;
  /** Where to read the .wasm files from (default: `build/` in the package). Browsers pass URLs. */
  sources?: Partial<Record<WasmBuild, BufferSource | URL>>;
  /**
   * Threads (default 1). With n > 1 the `-threads` build runs on a shared memory and n − 1
   * worker_threads each take a block of every GEMM's output columns (or rows) and of the
   * channels of im2col/col2im; results are bitwise identical to one thread. Node only (the
   * calling thread blocks on Atomics.wait).
   */
  threads?: number;
  /**
   * With threads > 1: how long, in ms, a worker that has finished a job polls for the next one,
   * and the calling thread polls for the workers' end, before sleeping in `Atomics.wait`
   * (default 0.2: a futex wake-up on a VM costs about as much as a small kernel). 0 always
   * sleeps, for machines with more threads than free cores. Results do not depend on it.
   */
  spinMs?: number;
  /**
   * With threads > 1: GEMMs of fewer flops (2·m·n·k) run on the calling thread alone (default
   * `MIN_SPLIT_FLOPS` of `gemm.ts`). Results do not depend on it.
   */
  gemmMinSplitFlops?: number;
  /**
   * jit graphs (`Backend.compile`) run their fused elementwise groups in the wasm SIMD
   * interpreter, whose exp, log, log1p, tanh, sigmoid and softplus are f32 polynomials (a few
   * ulp from Math.*; README, "jit"). true keeps groups with those as JavaScript loops, so that
   * a jitted function gives exactly the eager bits (default false).
   */
  jitExactMath?: boolean;
}>;

/**
 * The kernels of the wasm backend, each taking an optional `out` array of the result's size,
 * written and returned instead of a fresh array: a training loop or benchmark that reuses
 * buffers avoids allocating (and, on some VMs, writing to memory not in cache) a new result
 * every call.
 */
export interface WasmKernels {
  gemm(a: Float32Array, b: Float32Array, spec: GemmSpec, out?: Float32Array): Float32Array;
  conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  powerIteration: Backend['powerIteration'];
  /** One fused Adam step over the leaves → the packed `[3·total]` result (`Backend.adamUpdate`). */
  adamUpdate(leaves: readonly AdamLeaf[], spec: AdamStepSpec, out?: Float32Array): Float32Array;
  /** im2col of x `[n, c, h, w]` → col `[c·kh·kw, n·oh·ow]`. */
  im2col(x: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  /** The adjoint of im2col: col `[c·kh·kw, n·oh·ow]` → x `[n, c, h, w]` (sums overlapping taps). */
  col2im(col: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
}

/** The wasm backend: the Backend interface with `out=` on every kernel, plus what benchmarks and tests need. */
export interface WasmBackend extends Omit<Backend, keyof WasmKernels>, WasmKernels {
  readonly variant: WasmVariant;
  /** Rows of the GEMM register tile. */
  readonly microRows: number;
  /** Threads the GEMMs run on. */
  readonly threads: number;
  /** Stops the worker threads (a no-op with one thread). The backend must not be used after. */
  close(): Promise<void>;
  /** Current size of linear memory in bytes. */
  memoryBytes(): number;
  /** `compile` with the time of every kind of step added to `timer` on each run (benchmarks' breakdowns). */
  compileTimed(graph: Graph, ctx: CompileContext, timer: StepTimer): CompiledGraph;
  /** The register-only peak loops: returns flops performed (accumulators × 4 lanes × 2 × iters). */
  peak(iters: number, fma: boolean): number;
}
