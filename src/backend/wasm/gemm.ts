import { BackendError } from '../../core/errors.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import { dropRows, type MatrixOperand } from './operand.js';
import type { WorkerPool } from './pool.js';
import { JOB_GEMM } from './protocol.js';

/** One GEMM on operands in linear memory: C `[m, n]` = op(A) `[m, k]` · op(B) `[k, n]` (C += … when `accumulate`). */
export type GemmCall = Readonly<{
  m: number;
  n: number;
  k: number;
  a: MatrixOperand;
  b: MatrixOperand;
  /** Never transposed (the kernel has no such flag). */
  c: MatrixOperand;
  accumulate: boolean;
}>;

/**
 * The module's `gemm` arguments for `call`, computing columns jBase..jBase+n with the scratch
 * area at `scratch`: the one place where operands become positional kernel arguments.
 */
export function gemmKernelArgs(call: GemmCall, scratch: number, jBase: number): number[] {
  const { a, b, c } = call;
  if (c.trans) throw new BackendError('internal error: the GEMM kernel cannot write a transposed C');
  return [
    call.m, call.n, call.k,
    a.ptr, a.ld, a.trans ? 1 : 0, a.segLen, a.segStride,
    b.ptr, b.ld, b.trans ? 1 : 0, b.segLen, b.segStride,
    c.ptr, c.ld, c.segLen, c.segStride,
    call.accumulate ? 1 : 0, scratch, jBase,
  ];
}

/**
 * GEMMs of fewer flops run on the calling thread alone (the default of `minSplitFlops`): a
 * few hundred microseconds of one core's work. Splitting saves at most half of that, and waking
 * a worker, waiting for it and packing the shared operand again in each thread cost tens of
 * microseconds — more than it saved on the 128-wide layers of a small MLP (README, "The whole
 * training step"). The convolution GEMMs of the benchmark GAN are all far above it.
 */
export const MIN_SPLIT_FLOPS = 2e7;
/**
 * Split C by columns only when each thread gets at least this many register tiles of them:
 * every column block packs all of A again, which narrower blocks do not amortise; narrower C
 * is split by rows (each thread then packs its rows of A and all of B).
 */
const MIN_COLUMN_TILES_PER_THREAD = 2;
/** Split C by rows only when it has at least this many register tiles of rows (else there is nothing to share). */
const MIN_ROW_TILES = 2;

/**
 * Runs GEMMs on the module, split across the pool's threads: by blocks of whole register-tile
 * columns (microCols) when C is wide enough (each thread packs only its part of B, the big
 * operand of the conv GEMMs, and computes columns jBase.. of the full product), else by
 * blocks of whole register-tile rows (microRows). Each element is computed exactly as on one
 * thread, with the same summation order, so the result does not depend on the thread count.
 */
export type GemmDriverOptions = Readonly<{
  exports: WasmExports;
  arena: Arena;
  pool: WorkerPool;
  /** GEMMs of fewer flops (2·m·n·k) run on the calling thread alone (default `MIN_SPLIT_FLOPS`). */
  minSplitFlops?: number;
}>;

export function createGemmDriver(opts: GemmDriverOptions): (call: GemmCall) => void {
  const { exports: k, arena, pool } = opts;
  const minSplitFlops = opts.minSplitFlops ?? MIN_SPLIT_FLOPS;
  const { threads } = pool;
  const rowTile = k.microRows();
  const colTile = k.microCols();
  const run = (call: GemmCall, thread: number, jBase: number): void =>
    (k.gemm as (...a: number[]) => void)(...gemmKernelArgs(call, arena.scratch(thread), jBase));
  return (call) => {
    const { m, n } = call;
    const byColumns = n >= MIN_COLUMN_TILES_PER_THREAD * colTile * threads;
    if (threads === 1 || 2 * m * n * call.k < minSplitFlops || (!byColumns && m < MIN_ROW_TILES * rowTile)) {
      run(call, 0, 0);
      return;
    }
    const total = byColumns ? n : m;
    const tile = byColumns ? colTile : rowTile;
    const per = Math.ceil(total / threads / tile) * tile;
    const parts: { s0: number; count: number }[] = [];
    for (let s0 = 0; s0 < total && parts.length < threads; s0 += per) parts.push({ s0, count: Math.min(per, total - s0) });
    // A last part thinner than a register tile joins the one before it: the kernel picks its
    // paths for C of one or two rows by the rows it is given, and they round unlike the tiles.
    const last = parts[parts.length - 1]!;
    if (parts.length > 1 && last.count < tile) {
      parts.pop();
      parts[parts.length - 1]!.count += last.count;
    }
    const slice = ({ s0, count }: { s0: number; count: number }): GemmCall =>
      byColumns ? { ...call, n: count } : { ...call, m: count, a: dropRows(call.a, s0), c: dropRows(call.c, s0) };
    const jobs = parts.slice(1).map((p, i) => gemmKernelArgs(slice(p), arena.scratch(i + 1), byColumns ? p.s0 : 0));
    const own = slice(parts[0]!);
    pool.run(JOB_GEMM, jobs, () => run(own, 0, 0));
  };
}
