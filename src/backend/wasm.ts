import { instantiate } from '@assemblyscript/loader';
import { ArenaError, BackendError, ShapeError } from '../core/errors.js';
import type { Backend, ConvGeometry, GemmSpec, PowerIterationResult } from './backend.js';
import { checkConvBuffers, checkGemm, checkPowerIteration } from './geometry.js';
import { CTL_ARGC, CTL_DONE, CTL_ERROR, CTL_KIND, CTL_SEQ, CTL_SLOTS, JOB_COL2IM, JOB_GEMM, JOB_IM2COL, MAX_ARGS } from './wasm_protocol.js';

/**
 * The wasm backend: the AssemblyScript kernels of `assembly/index.ts`, built as `simd`
 * (f32x4 mul + add) and `relaxed` (f32x4.relaxed_madd FMA), both with a 4×8 register tile, and
 * `-threads` variants of each on a shared memory. `variant: 'auto'` picks `relaxed` when the
 * engine validates it (in Node 20 after setting V8's `--experimental-wasm-relaxed-simd`), else
 * `simd`.
 *
 * Memory: one linear memory. Its start holds the kernels' static data and one GEMM scratch
 * area per thread (packed panels); above it a bump arena is reset at every kernel call, inputs
 * are copied in, the kernel runs, and the result is copied out into a fresh Float32Array (or
 * `out`). Offsets, never typed-array views, are kept across allocations, because `memory.grow`
 * detaches views. Growth beyond `maxMemoryBytes` is an ArenaError naming the size asked for,
 * never a wrong result.
 */

export type WasmVariant = 'simd' | 'relaxed';

export type WasmBackendOptions = Readonly<{
  /** Which build to load; 'auto' (default) prefers relaxed SIMD where the engine has it. */
  variant?: WasmVariant | 'auto';
  /** Upper bound on linear memory (default 1 GiB, at most 2 GiB). */
  maxMemoryBytes?: number;
  /** Size of the im2col buffer per chunk of images, in floats (default 1 Mi floats = 4 MiB, measured best on the benchmark GAN). */
  colBudgetFloats?: number;
  /** Where to read the .wasm files from (default: `build/` in the package). Browsers pass URLs. */
  sources?: Partial<Record<WasmVariant | `${WasmVariant}-threads`, BufferSource | URL>>;
  /**
   * Threads (default 1). With n > 1 the `-threads` build runs on a shared memory and n − 1
   * worker_threads each take a block of every GEMM's output columns (or rows) and of the
   * channels of im2col/col2im; results are bitwise identical to one thread. Node only (the
   * calling thread blocks on Atomics.wait).
   */
  threads?: number;
}>;

/**
 * The wasm backend plus what benchmarks and tests need beyond the Backend interface. Every
 * kernel also takes an optional `out` array of the result's size, written and returned instead
 * of a fresh array: a training loop or benchmark that reuses buffers avoids allocating (and,
 * on some VMs, writing to memory not in cache) a new result every call.
 */
export interface WasmBackend extends Backend {
  gemm(a: Float32Array, b: Float32Array, spec: GemmSpec, out?: Float32Array): Float32Array;
  conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  convTranspose2d(x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  readonly variant: WasmVariant;
  /** Rows of the GEMM register tile. */
  readonly microRows: number;
  /** Threads the GEMMs run on. */
  readonly threads: number;
  /** Stops the worker threads (a no-op with one thread). The backend must not be used after. */
  close(): Promise<void>;
  /** Current size of linear memory in bytes. */
  memoryBytes(): number;
  /** The register-only peak loops: returns flops performed (accumulators × 4 lanes × 2 × iters). */
  peak(iters: number, fma: boolean): number;
  /** im2col of x `[n, c, h, w]` → col `[c·kh·kw, n·oh·ow]`. */
  im2col(x: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  /** The adjoint of im2col: col `[c·kh·kw, n·oh·ow]` → x `[n, c, h, w]` (sums overlapping taps). */
  col2im(col: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
}

/** The exports of the AssemblyScript module (shared with the worker). */
export type Kernels = {
  heapBase(): number;
  scratchBytes(): number;
  microRows(): number;
  peakAccumulators(): number;
  gemm(
    m: number, n: number, k: number,
    a: number, lda: number, aTrans: number, aSegLen: number, aSegStride: number,
    b: number, ldb: number, bTrans: number, bSegLen: number, bSegStride: number,
    c: number, ldc: number, cSegLen: number, cSegStride: number,
    accumulate: number, scratch: number, jBase: number,
  ): void;
  im2colTable(
    h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    oh: number, ow: number, tab: number,
  ): void;
  im2col(x: number, nb: number, c: number, hw: number, taps: number, ohw: number, tab: number, col: number, c0: number, c1: number): void;
  col2imTable(
    h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number,
    oh: number, ow: number, ldcol: number, m: number, rt: number,
  ): number;
  col2im(col: number, nb: number, c: number, hw: number, taps: number, ohw: number, m: number, rt: number, x: number, c0: number, c1: number): void;
  powerIteration(w: number, rows: number, cols: number, u: number, eps: number, vOut: number, uOut: number): number;
  peakMulAdd(iters: number): number;
  peakFma(iters: number): number;
};

const PAGE = 65536;
const MAX_MEMORY = 2 ** 31;
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

type Bytes = Uint8Array<ArrayBuffer>;

async function readSource(variant: WasmVariant | `${WasmVariant}-threads`, sources: WasmBackendOptions['sources']): Promise<Bytes> {
  const given = sources?.[variant];
  const url = given instanceof URL ? given : given === undefined ? new URL(`../../../build/puregan-${variant}.wasm`, import.meta.url) : undefined;
  if (url === undefined) {
    const copy = ArrayBuffer.isView(given) ? new Uint8Array(given.buffer, given.byteOffset, given.byteLength) : new Uint8Array(given as ArrayBuffer);
    return Uint8Array.from(copy);
  }
  try {
    if (url.protocol === 'file:' && isNode) {
      const fs = await import('node:fs/promises');
      return new Uint8Array(await fs.readFile(url));
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new BackendError(
      `cannot read the ${variant} wasm kernels at ${url.href} (${(e as Error).message}); run \`npm run build:wasm\` or pass sources`,
    );
  }
}

let relaxedFlagSet = false;

/** True when this engine accepts the relaxed-SIMD build (enabling V8's flag in Node 20 if needed). */
async function relaxedSupported(bytes: Bytes): Promise<boolean> {
  if (WebAssembly.validate(bytes)) return true;
  if (isNode && !relaxedFlagSet) {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedFlagSet = true;
    return WebAssembly.validate(bytes);
  }
  return false;
}

/** Loads the wasm backend. Rejects with a BackendError when the build cannot be read or run. */
export async function loadWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const want = opts.variant ?? 'auto';
  if (want !== 'auto' && want !== 'simd' && want !== 'relaxed') {
    throw new BackendError(`unknown wasm variant "${String(want)}"; expected auto, simd or relaxed`);
  }
  const maxBytes = opts.maxMemoryBytes ?? 2 ** 30;
  if (!Number.isFinite(maxBytes) || maxBytes < 16 * PAGE || maxBytes > MAX_MEMORY) {
    throw new BackendError(`maxMemoryBytes must be between ${16 * PAGE} and ${MAX_MEMORY}, got ${maxBytes}`);
  }
  const threads = opts.threads ?? 1;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 64) {
    throw new BackendError(`threads must be an integer between 1 and 64, got ${threads}`);
  }
  if (threads > 1 && (!isNode || typeof SharedArrayBuffer === 'undefined')) {
    throw new BackendError('threads > 1 needs Node worker_threads and SharedArrayBuffer; use threads: 1 here');
  }
  const suffix = threads > 1 ? '-threads' : '';
  let variant: WasmVariant = want === 'auto' ? 'relaxed' : want;
  let bytes = await readSource(`${variant}${suffix}`, opts.sources);
  if (variant === 'relaxed' && !(await relaxedSupported(bytes))) {
    if (want === 'relaxed') throw new BackendError('this engine does not support relaxed SIMD (f32x4.relaxed_madd); use the "wasm-simd" backend');
    variant = 'simd';
    bytes = await readSource(`${variant}${suffix}`, opts.sources);
  }
  if (!WebAssembly.validate(bytes)) {
    throw new BackendError(`this engine cannot run the ${variant}${suffix} wasm build (WebAssembly SIMD${suffix ? ' and threads' : ''} are required)`);
  }
  const maxPages = Math.floor(maxBytes / PAGE);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: maxPages, ...(threads > 1 ? { shared: true } : {}) });
  const module = await WebAssembly.compile(bytes);
  const { exports } = await instantiate<Kernels>(module, { env: { memory } });
  const pool = threads > 1 ? await startWorkers(module, memory, threads - 1) : [];
  const backend = makeBackend(exports, memory, variant, maxBytes, opts.colBudgetFloats ?? 2 ** 20, pool);
  warmUp(backend);
  // V8 compiles hot wasm functions with its optimising tier in the background; yield once so
  // the first real call does not run the baseline code.
  await new Promise((resolve) => setTimeout(resolve, 1));
  return backend;
}

/** A worker thread running kernel jobs posted through a shared control block (wasm_protocol.ts). */
type KernelWorker = {
  /** Posts a job (JOB_GEMM: 20 arguments, JOB_IM2COL: 10, JOB_COL2IM: 11); returns its sequence number. */
  post(kind: number, args: readonly number[]): number;
  /** Blocks until job `seq` is done; throws if it failed. */
  wait(seq: number): void;
  close(): Promise<void>;
};

/** How long the calling thread waits for a worker before declaring it lost. */
const WORKER_TIMEOUT_MS = 120_000;

async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number): Promise<KernelWorker[]> {
  const { Worker } = await import('node:worker_threads');
  const url = new URL('./wasm_worker.js', import.meta.url);
  const start = async (index: number): Promise<KernelWorker> => {
    const control = new SharedArrayBuffer(4 * CTL_SLOTS);
    const args = new SharedArrayBuffer(8 * MAX_ARGS);
    const ctl = new Int32Array(control);
    const argv = new Float64Array(args);
    const worker = new Worker(url, { workerData: { module, memory, control, args, index } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (e) => reject(new BackendError(`wasm worker ${index} failed to start: ${e.message}`)));
    });
    worker.unref();
    let seq = 0;
    return {
      post(kind, a) {
        argv.set(a);
        Atomics.store(ctl, CTL_ARGC, a.length);
        Atomics.store(ctl, CTL_KIND, kind);
        seq++;
        Atomics.store(ctl, CTL_SEQ, seq);
        Atomics.notify(ctl, CTL_SEQ);
        return seq;
      },
      wait(want) {
        const deadline = Date.now() + WORKER_TIMEOUT_MS;
        for (;;) {
          const done = Atomics.load(ctl, CTL_DONE);
          if (done === want) break;
          if (Date.now() > deadline) throw new BackendError(`wasm worker ${index} did not finish a kernel job within ${WORKER_TIMEOUT_MS} ms`);
          Atomics.wait(ctl, CTL_DONE, done, 1000);
        }
        if (Atomics.load(ctl, CTL_ERROR) !== 0) throw new BackendError(`wasm worker ${index} failed in a kernel job (see its stderr)`);
      },
      async close() {
        Atomics.store(ctl, CTL_SEQ, -1);
        Atomics.notify(ctl, CTL_SEQ);
        await worker.terminate();
      },
    };
  };
  return Promise.all(Array.from({ length: count }, (_, i) => start(i + 1)));
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
}

/**
 * Along one axis of a conv (input size `size`, kernel, stride, padding, dilation, output size
 * `out`): the largest number of kernel taps that read one input position. A pixel's readers
 * are the product of its two axes' readers, so the maximum over pixels is the product of the
 * two maxima; it sizes col2im's inverse table.
 */
function mostReaders(size: number, kernel: number, stride: number, pad: number, dilation: number, out: number): number {
  let most = 0;
  for (let i = 0; i < size; i++) {
    let n = 0;
    for (let kk = 0; kk < kernel; kk++) {
      const t = i + pad - kk * dilation;
      if (t >= 0 && t % stride === 0 && t / stride < out) n++;
    }
    most = Math.max(most, n);
  }
  return most;
}

function makeBackend(
  k: Kernels, memory: WebAssembly.Memory, variant: WasmVariant, maxBytes: number, colBudget: number, workers: readonly KernelWorker[],
): WasmBackend {
  const align = (v: number): number => Math.ceil(v / 64) * 64;
  const threads = workers.length + 1;
  // One GEMM scratch area per thread (packed panels), then the arena.
  const scratchSize = align(k.scratchBytes());
  const scratches = Array.from({ length: threads }, (_, t) => align(k.heapBase()) + t * scratchSize);
  const scratch = scratches[0]!;
  const base = align(scratch + threads * scratchSize);
  let top = base;
  const ensure = (end: number): void => {
    const have = memory.buffer.byteLength;
    if (end <= have) return;
    try {
      memory.grow(Math.ceil((end - have) / PAGE));
    } catch (e) {
      throw new ArenaError(`wasm memory could not grow to ${end} bytes: ${(e as Error).message}`, end, maxBytes);
    }
  };
  ensure(base);

  /** Posts `jobs` to the workers (one each), runs `own` on this thread, then waits for them. */
  const runSplit = (kind: number, jobs: readonly number[][], own: () => void): void => {
    const posted = jobs.map((args, t) => [workers[t]!, workers[t]!.post(kind, args)] as const);
    try {
      own();
    } finally {
      for (const [w, seq] of posted) w.wait(seq);
    }
  };

  /**
   * k.gemm (without the scratch and jBase arguments), split across the threads: by blocks of
   * 8 columns when C is wide enough (each thread packs only its part of B, the big operand
   * of the conv GEMMs), else by blocks of 4 rows. Each element is computed exactly as on one
   * thread.
   */
  type GemmArgs = [
    m: number, n: number, kk: number,
    a: number, lda: number, aTrans: number, aSegLen: number, aSegStride: number,
    b: number, ldb: number, bTrans: number, bSegLen: number, bSegStride: number,
    c: number, ldc: number, cSegLen: number, cSegStride: number,
    accumulate: number,
  ];
  const gemmRun = (...g: GemmArgs): void => {
    const [m, n, kk, a, lda, aTrans, , , , , , , , c, ldc] = g;
    const splitN = n >= 16 * threads;
    if (threads === 1 || 2 * m * n * kk < 2e6 || (!splitN && m < 8)) {
      k.gemm(...g, scratch, 0);
      return;
    }
    const total = splitN ? n : m;
    const per = Math.ceil(total / threads / (splitN ? 8 : 4)) * (splitN ? 8 : 4);
    const jobs: number[][] = [];
    for (let t = 1; t < threads; t++) {
      const s0 = t * per;
      const cnt = Math.min(per, total - s0);
      if (cnt <= 0) break;
      const args = [...g] as number[];
      if (splitN) {
        args[1] = cnt;
        args.push(scratches[t]!, s0);
      } else {
        args[0] = cnt;
        args[3] = aTrans ? a + s0 * 4 : a + s0 * lda * 4;
        args[13] = c + s0 * ldc * 4;
        args.push(scratches[t]!, 0);
      }
      jobs.push(args);
    }
    const own = [...g] as GemmArgs;
    own[splitN ? 1 : 0] = Math.min(per, total);
    runSplit(JOB_GEMM, jobs, () => k.gemm(...own, scratch, 0));
  };
  /**
   * The gather table of im2col for geometry g (offset in an input plane per tap and output
   * pixel, −1 in the padding), in the arena; built once per call, shared by all threads.
   */
  const im2colTable = (g: ConvGeometry): number => {
    const tab = alloc(g.kh * g.kw * g.oh * g.ow, 'im2col index table');
    k.im2colTable(g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.oh, g.ow, tab);
    return tab;
  };
  /** The inverse table of col2im (readers of every input pixel); fill it with `fill` for each column row stride. */
  const col2imTable = (g: ConvGeometry): { m: number; rt: number; fill(ldcol: number): void } => {
    const m = mostReaders(g.h, g.kh, g.strideH, g.padH, g.dilationH, g.oh) * mostReaders(g.w, g.kw, g.strideW, g.padW, g.dilationW, g.ow);
    const rt = alloc(Math.ceil((g.h * g.w) / 4) * 4 * m, 'col2im index table');
    return {
      m,
      rt,
      fill(ldcol) {
        const got = k.col2imTable(g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.oh, g.ow, ldcol, m, rt);
        if (got < 0) throw new BackendError(`internal error: a col2im pixel has more than ${m} readers`);
      },
    };
  };
  /** im2col of `nb` images at `xPtr` into col at `colPtr`, split by channel ranges across the threads. */
  const im2colRun = (g: ConvGeometry, nb: number, xPtr: number, colPtr: number, tab: number): void =>
    byChannels(JOB_IM2COL, k.im2col, g, nb, [xPtr, nb, g.c, g.h * g.w, g.kh * g.kw, g.oh * g.ow, tab, colPtr]);
  /** col2im of `nb` images from col at `colPtr`, overwriting x at `xPtr` (rt filled for ldcol = nb·oh·ow). */
  const col2imRun = (g: ConvGeometry, nb: number, colPtr: number, xPtr: number, t: { m: number; rt: number }): void =>
    byChannels(JOB_COL2IM, k.col2im, g, nb, [colPtr, nb, g.c, g.h * g.w, g.kh * g.kw, g.oh * g.ow, t.m, t.rt, xPtr]);
  /** Runs an im2col/col2im kernel (channel range appended to `args`) split by channels across the threads. */
  const byChannels = (kind: number, fn: (...a: number[]) => void, g: ConvGeometry, nb: number, args: readonly number[]): void => {
    const c = g.c;
    const work = c * g.kh * g.kw * nb * g.oh * g.ow;
    if (threads === 1 || work < 1 << 16 || c < 2) {
      fn(...args, 0, c);
      return;
    }
    const per = Math.ceil(c / threads);
    const jobs: number[][] = [];
    for (let c0 = per; c0 < c && jobs.length < threads - 1; c0 += per) jobs.push([...args, c0, Math.min(c, c0 + per)]);
    runSplit(kind, jobs, () => fn(...args, 0, Math.min(per, c)));
  };

  let closed = false;
  const reset = (): void => {
    if (closed) throw new BackendError('this wasm backend was closed; load a new one');
    top = base;
  };
  /** Reserves room for `floats` f32s; returns the byte offset. */
  const alloc = (floats: number, what: string): number => {
    const off = align(top);
    const end = off + floats * 4;
    if (end > maxBytes) {
      throw new ArenaError(
        `the wasm arena needs ${end} bytes for ${what} (${floats} floats) but is limited to ${maxBytes} bytes; ` +
          'use smaller batches or load the backend with a larger maxMemoryBytes',
        end,
        maxBytes,
      );
    }
    ensure(end);
    top = end;
    return off;
  };
  /** Reserves room for `data` in the arena and copies it in; returns the byte offset. */
  const stage = (data: Float32Array, what: string): number => {
    const off = alloc(data.length, what);
    new Float32Array(memory.buffer, off, data.length).set(data);
    return off;
  };
  /** Copies a result out: into `out` when given (checked), else into a fresh array. */
  const take = (off: number, floats: number, out?: Float32Array): Float32Array => {
    const view = new Float32Array(memory.buffer, off, floats);
    if (out === undefined) return view.slice();
    if (out.length !== floats) throw new ShapeError(`out has ${out.length} elements, the result needs ${floats}`, { out: [out.length] });
    out.set(view);
    return out;
  };

  function gemm(a: Float32Array, b: Float32Array, s: GemmSpec, out?: Float32Array): Float32Array {
    checkGemm(a, b, s);
    const { m, n, k: kk, transA, transB } = s;
    reset();
    const pa = stage(a, 'gemm A');
    const pb = stage(b, 'gemm B');
    const pc = alloc(m * n, 'gemm C');
    gemmRun(m, n, kk, pa, transA ? m : kk, transA ? 1 : 0, Math.max(kk, 1), 0, pb, transB ? kk : n, transB ? 1 : 0, Math.max(n, 1), 0, pc, n, Math.max(n, 1), 0, 0);
    return take(pc, m * n, out);
  }

  /** Images per chunk so that one chunk's column matrix stays within the budget. */
  const chunk = (g: ConvGeometry): number => Math.max(1, Math.min(g.n, Math.floor(colBudget / (g.c * g.kh * g.kw * g.oh * g.ow))));
  const is1x1 = (g: ConvGeometry): boolean =>
    g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;

  function conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    checkConvBuffers(g, { x, weight });
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, chw = g.c * g.h * g.w, hw = g.h * g.w;
    reset();
    const px = stage(x, 'conv input');
    const pw = stage(weight, 'conv weight');
    const py = alloc(g.n * g.o * ohw, 'conv output');
    if (is1x1(g)) {
      // B(p = channel, j = (image, pixel)) = x[image·chw + channel·hw + pixel]: no im2col.
      gemmRun(g.o, g.n * ohw, ckk, pw, ckk, 0, ckk, 0, px, hw, 0, hw, chw, py, ohw, ohw, g.o * ohw, 0);
      return take(py, g.n * g.o * ohw, out);
    }
    const nb = chunk(g);
    const pcol = alloc(ckk * nb * ohw, 'im2col buffer');
    const tab = im2colTable(g);
    for (let i0 = 0; i0 < g.n; i0 += nb) {
      const cnt = Math.min(nb, g.n - i0);
      im2colRun(g, cnt, px + i0 * chw * 4, pcol, tab);
      gemmRun(g.o, cnt * ohw, ckk, pw, ckk, 0, ckk, 0, pcol, cnt * ohw, 0, cnt * ohw, 0, py + i0 * g.o * ohw * 4, ohw, ohw, g.o * ohw, 0);
    }
    return take(py, g.n * g.o * ohw, out);
  }

  function conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    checkConvBuffers(g, { dy, weight });
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, chw = g.c * g.h * g.w, hw = g.h * g.w;
    reset();
    const pdy = stage(dy, 'conv output gradient');
    const pw = stage(weight, 'conv weight');
    const pdx = alloc(g.n * chw, 'conv input gradient');
    // dcol[ckk, (image, pixel)] = Wᵀ[ckk, o] · dy[o, (image, pixel)]
    if (is1x1(g)) {
      gemmRun(ckk, g.n * ohw, g.o, pw, ckk, 1, g.o, 0, pdy, ohw, 0, ohw, g.o * ohw, pdx, hw, hw, chw, 0);
      return take(pdx, g.n * chw, out);
    }
    const nb = chunk(g);
    const pcol = alloc(ckk * nb * ohw, 'col2im buffer');
    const t = col2imTable(g);
    let filledFor = 0;
    for (let i0 = 0; i0 < g.n; i0 += nb) {
      const cnt = Math.min(nb, g.n - i0);
      if (cnt !== filledFor) t.fill((filledFor = cnt) * ohw);
      gemmRun(ckk, cnt * ohw, g.o, pw, ckk, 1, g.o, 0, pdy + i0 * g.o * ohw * 4, ohw, 0, ohw, g.o * ohw, pcol, cnt * ohw, cnt * ohw, 0, 0);
      col2imRun(g, cnt, pcol, pdx + i0 * chw * 4, t);
    }
    return take(pdx, g.n * chw, out);
  }

  function conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    checkConvBuffers(g, { x, dy });
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, chw = g.c * g.h * g.w;
    reset();
    const px = stage(x, 'conv input');
    const pdy = stage(dy, 'conv output gradient');
    const pdw = alloc(g.o * ckk, 'conv weight gradient');
    const nb = chunk(g);
    const pcol = alloc(ckk * nb * ohw, 'im2col buffer');
    const tab = im2colTable(g);
    // dW[o, ckk] = Σ_chunks dy[o, (image, pixel)] · col[ckk, (image, pixel)]ᵀ
    for (let i0 = 0; i0 < g.n; i0 += nb) {
      const cnt = Math.min(nb, g.n - i0);
      im2colRun(g, cnt, px + i0 * chw * 4, pcol, tab);
      gemmRun(g.o, ckk, cnt * ohw, pdy + i0 * g.o * ohw * 4, ohw, 0, ohw, g.o * ohw, pcol, cnt * ohw, 1, ckk, 0, pdw, ckk, ckk, 0, i0 > 0 ? 1 : 0);
    }
    return take(pdw, g.o * ckk, out);
  }

  function powerIteration(w: Float32Array, rows: number, cols: number, u: Float32Array, eps = 1e-12): PowerIterationResult {
    checkPowerIteration(w, rows, cols, u);
    reset();
    const pw = stage(w, 'power-iteration W');
    const pu = stage(u, 'u');
    const pv = alloc(cols, 'v');
    const pu2 = alloc(rows, "u'");
    const sigma = k.powerIteration(pw, rows, cols, pu, eps, pv, pu2);
    return { u: take(pu2, rows), v: take(pv, cols), sigma };
  }

  function im2col(x: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    checkConvBuffers(g, { x });
    const rows = g.c * g.kh * g.kw, cols = g.n * g.oh * g.ow;
    reset();
    const px = stage(x, 'im2col input');
    const pcol = alloc(rows * cols, 'im2col output');
    im2colRun(g, g.n, px, pcol, im2colTable(g));
    return take(pcol, rows * cols, out);
  }

  function col2im(col: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    const rows = g.c * g.kh * g.kw, cols = g.n * g.oh * g.ow;
    if (col.length !== rows * cols) {
      throw new BackendError(`col2im: col has ${col.length} elements, geometry needs [${rows}, ${cols}]`);
    }
    reset();
    const pcol = stage(col, 'col2im input');
    const px = alloc(g.n * g.c * g.h * g.w, 'col2im output');
    const t = col2imTable(g);
    t.fill(g.n * g.oh * g.ow);
    col2imRun(g, g.n, pcol, px, t);
    return take(px, g.n * g.c * g.h * g.w, out);
  }

  const microRows = k.microRows();
  const peakAccumulators = k.peakAccumulators();
  return {
    name: 'wasm',
    variant,
    microRows,
    threads,
    close: async () => {
      closed = true;
      await Promise.all(workers.map((w) => w.close()));
    },
    description:
      variant === 'relaxed'
        ? `wasm relaxed SIMD (f32x4.relaxed_madd, ${microRows}×8 register tile${threads > 1 ? `, ${threads} threads` : ''})`
        : `wasm SIMD (f32x4 mul+add, ${microRows}×8 register tile${threads > 1 ? `, ${threads} threads` : ''})`,
    gemm,
    conv2d,
    conv2dGradInput,
    conv2dGradWeight,
    convTranspose2d: (x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array) => conv2dGradInput(x, weight, g, out),
    powerIteration,
    im2col,
    col2im,
    memoryBytes: () => memory.buffer.byteLength,
    peak(iters: number, fma: boolean): number {
      if (fma) k.peakFma(iters);
      else k.peakMulAdd(iters);
      return peakAccumulators * 4 * 2 * iters;
    },
  };
}
