import { BackendError } from '../../core/errors.js';
import type { ConvGeometry } from '../backend.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import type { WorkerPool } from './pool.js';
import { JOB_COL2IM, JOB_IM2COL, type JobKind } from './protocol.js';

/**
 * im2col and col2im on buffers in linear memory, driven by index tables built once per call
 * in the arena (single-threaded, shared by all threads), then split by channel ranges across
 * the pool's threads.
 */
export type GatherDriver = Readonly<{
  /** The gather table of im2col for g (the input-plane offset per tap and output pixel, −1 in the padding). */
  im2colTable(g: ConvGeometry): number;
  /** im2col of `nb` images at `x` into the column matrix at `col` `[c·kh·kw, nb·oh·ow]`. */
  im2col(g: ConvGeometry, nb: number, x: number, col: number, table: number): void;
  /** The inverse table of col2im (the readers of every input pixel); `fill` it for each column row stride before use. */
  col2imTable(g: ConvGeometry): Col2imTable;
  /** col2im of `nb` images from `col`, overwriting x at `x` (the table filled for ldcol = nb·oh·ow). */
  col2im(g: ConvGeometry, nb: number, col: number, x: number, table: Col2imTable): void;
}>;

export type Col2imTable = Readonly<{
  /** Slots per input pixel: the most readers any pixel has. */
  slots: number;
  /** Byte offset of the table. */
  ptr: number;
  /** (Re)fills the table for a column matrix with row stride `ldcol`. */
  fill(ldcol: number): void;
}>;

/**
 * im2col/col2im calls that touch fewer elements run on the calling thread alone: a quarter of
 * a megabyte of gathers is over in about the time it takes to wake a worker and wait for it.
 */
const MIN_SPLIT_ELEMENTS = 1 << 16;

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

export function createGatherDriver(opts: Readonly<{ exports: WasmExports; arena: Arena; pool: WorkerPool }>): GatherDriver {
  const { exports: k, arena, pool } = opts;
  /** Runs an im2col/col2im kernel (channel range c0, c1 appended to `args`) split by channels across the threads. */
  const byChannels = (kind: JobKind, fn: (...a: number[]) => void, g: ConvGeometry, nb: number, args: readonly number[]): void => {
    const c = g.c;
    const elements = c * g.kh * g.kw * nb * g.oh * g.ow;
    if (pool.threads === 1 || elements < MIN_SPLIT_ELEMENTS || c < 2) {
      fn(...args, 0, c);
      return;
    }
    const per = Math.ceil(c / pool.threads);
    const jobs: number[][] = [];
    for (let c0 = per; c0 < c && jobs.length < pool.threads - 1; c0 += per) jobs.push([...args, c0, Math.min(c, c0 + per)]);
    pool.run(kind, jobs, () => fn(...args, 0, Math.min(per, c)));
  };
  return {
    im2colTable(g) {
      const tab = arena.alloc(g.kh * g.kw * g.oh * g.ow, 'im2col index table');
      k.im2colTable(g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.oh, g.ow, tab);
      return tab;
    },
    im2col: (g, nb, x, col, table) =>
      byChannels(JOB_IM2COL, k.im2col, g, nb, [x, nb, g.c, g.h * g.w, g.kh * g.kw, g.oh * g.ow, table, col]),
    col2imTable(g) {
      const slots = mostReaders(g.h, g.kh, g.strideH, g.padH, g.dilationH, g.oh) * mostReaders(g.w, g.kw, g.strideW, g.padW, g.dilationW, g.ow);
      const ptr = arena.alloc(Math.ceil((g.h * g.w) / 4) * 4 * slots, 'col2im index table');
      return {
        slots,
        ptr,
        fill(ldcol) {
          const got = k.col2imTable(g.h, g.w, g.kh, g.kw, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW, g.oh, g.ow, ldcol, slots, ptr);
          if (got < 0) throw new BackendError(`internal error: a col2im pixel has more than ${slots} readers`);
        },
      };
    },
    col2im: (g, nb, col, x, table) =>
      byChannels(JOB_COL2IM, k.col2im, g, nb, [col, nb, g.c, g.h * g.w, g.kh * g.kw, g.oh * g.ow, table.slots, table.ptr, x]),
  };
}
