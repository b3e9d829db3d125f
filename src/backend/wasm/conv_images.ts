import type { ConvGeometry } from '../backend.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import type { GatherDriver } from './gather.js';
import { gemmKernelArgs, MIN_SPLIT_FLOPS } from './gemm.js';
import { channelRows, dense } from './operand.js';
import type { WorkerPool } from './pool.js';
import { JOB_COL2IM, JOB_GEMM, JOB_IM2COL, JOB_SEQUENCE, runSequence, sequenceArgs, type KernelJob } from './protocol.js';

/**
 * Convolutions split across threads by images. Thread t takes a contiguous block of the batch
 * and runs, chunk by chunk, the whole of each chunk — im2col into its own column buffer, then
 * the GEMM on it (forward), or the GEMM into its own buffer, then col2im (input gradient) — so
 * a column matrix is written and read by the same core. Split op by op instead (im2col by
 * channels, then the GEMM by columns), each thread read columns another core had just written,
 * and the big convolutions of the benchmark GAN ran at 62–70% of the two-core peak against
 * 72–77% of one core's (README, "The whole training step").
 *
 *   forward, chunk [i0, i0 + cnt):      y[i0…] = W[o, c·kh·kw] · im2col(x[i0…])
 *   input gradient, chunk [i0, i0 + cnt): dx[i0…] = col2im(Wᵀ[c·kh·kw, o] · dy[i0…])
 *
 * Every output element is the same sum in the same order as on one thread (a GEMM's element
 * does not depend on which columns the call computes), so the bits do not change. The weight
 * gradient sums over images, so it keeps the op-by-op split (its order is the one thread's).
 */
export type ImageSplitConv = Readonly<{
  /** Whether `g` is split by images here (threads > 1, a batch to share, and enough work); else the op-by-op path. */
  applies(g: ConvGeometry): boolean;
  /** y `[n, o, oh, ow]` at py from x at px and the weight at pw. */
  conv2d(px: number, pw: number, py: number, g: ConvGeometry): void;
  /** dx `[n, c, h, w]` at pdx from dy at pdy and the weight at pw. */
  conv2dGradInput(pdy: number, pw: number, pdx: number, g: ConvGeometry): void;
}>;

/** A thread's chunk in one round: images [i0, i0 + cnt). */
type Chunk = Readonly<{ thread: number; i0: number; cnt: number }>;

export function createImageSplitConv(
  opts: Readonly<{ exports: WasmExports; arena: Arena; pool: WorkerPool; gather: GatherDriver; colBudgetFloats: number }>,
): ImageSplitConv {
  const { exports: k, arena, pool, gather, colBudgetFloats } = opts;
  const { threads } = pool;
  const kernels: Record<number, (...a: number[]) => void> = {
    [JOB_GEMM]: k.gemm as (...a: number[]) => void,
    [JOB_IM2COL]: k.im2col as (...a: number[]) => void,
    [JOB_COL2IM]: k.col2im as (...a: number[]) => void,
  };
  const ckkOf = (g: ConvGeometry): number => g.c * g.kh * g.kw;

  /**
   * The rounds of a split: thread t owns images [t·per, (t + 1)·per) and takes them in chunks
   * of equal size within the column budget; round r holds every thread's r-th chunk.
   */
  const rounds = (g: ConvGeometry): { rounds: Chunk[][]; nb: number } => {
    const per = Math.ceil(g.n / threads);
    const most = Math.max(1, Math.min(per, Math.floor(colBudgetFloats / (ckkOf(g) * g.oh * g.ow))));
    const nb = Math.ceil(per / Math.ceil(per / most));
    const out: Chunk[][] = [];
    for (let r = 0; r * nb < per; r++) {
      const round: Chunk[] = [];
      for (let t = 0; t < threads; t++) {
        const i0 = t * per + r * nb, end = Math.min(g.n, (t + 1) * per);
        if (i0 < end) round.push({ thread: t, i0, cnt: Math.min(nb, end - i0) });
      }
      out.push(round);
    }
    return { rounds: out, nb };
  };

  /** Runs each round: the calling thread's chunk here, the others' as sequence jobs. */
  const runRounds = (all: readonly Chunk[][], calls: (c: Chunk) => KernelJob[]): void => {
    for (const round of all) {
      const own = round.find((c) => c.thread === 0)!;
      const jobs = round.filter((c) => c.thread !== 0).map((c) => sequenceArgs(calls(c)));
      const mine = sequenceArgs(calls(own));
      pool.run(JOB_SEQUENCE, jobs, () => runSequence(kernels, mine));
    }
  };

  return {
    applies: (g) => threads > 1 && g.n >= threads && 2 * g.n * g.o * g.oh * g.ow * ckkOf(g) >= MIN_SPLIT_FLOPS,

    conv2d(px, pw, py, g) {
      const ckk = ckkOf(g), ohw = g.oh * g.ow, chw = g.c * g.h * g.w;
      const { rounds: all, nb } = rounds(g);
      const tab = gather.im2colTable(g);
      const cols = Array.from({ length: threads }, () => arena.alloc(ckk * nb * ohw, 'im2col buffer'));
      const w = dense(pw, g.o, ckk);
      runRounds(all, ({ thread, i0, cnt }) => {
        const col = cols[thread]!;
        const y = channelRows(py + 4 * i0 * g.o * ohw, { channels: g.o, pixels: ohw });
        return [
          { kind: JOB_IM2COL, args: [px + 4 * i0 * chw, cnt, g.c, g.h * g.w, g.kh * g.kw, ohw, tab, col, 0, g.c] },
          { kind: JOB_GEMM, args: gemmKernelArgs({ m: g.o, n: cnt * ohw, k: ckk, a: w, b: dense(col, ckk, cnt * ohw), c: y, accumulate: false }, arena.scratch(thread), 0) },
        ];
      });
    },

    conv2dGradInput(pdy, pw, pdx, g) {
      const ckk = ckkOf(g), ohw = g.oh * g.ow, chw = g.c * g.h * g.w;
      const { rounds: all, nb } = rounds(g);
      const cols = Array.from({ length: threads }, () => arena.alloc(ckk * nb * ohw, 'col2im buffer'));
      // col2im's table depends on the column matrix's row stride, cnt·oh·ow: one per chunk size.
      const tables = new Map<number, { slots: number; ptr: number }>();
      for (const c of all.flat()) {
        if (tables.has(c.cnt)) continue;
        const t = gather.col2imTable(g);
        t.fill(c.cnt * ohw);
        tables.set(c.cnt, t);
      }
      const wT = dense(pw, ckk, g.o, true);
      runRounds(all, ({ thread, i0, cnt }) => {
        const col = cols[thread]!;
        const t = tables.get(cnt)!;
        const dy = channelRows(pdy + 4 * i0 * g.o * ohw, { channels: g.o, pixels: ohw });
        return [
          { kind: JOB_GEMM, args: gemmKernelArgs({ m: ckk, n: cnt * ohw, k: g.o, a: wT, b: dy, c: dense(col, ckk, cnt * ohw), accumulate: false }, arena.scratch(thread), 0) },
          { kind: JOB_COL2IM, args: [col, cnt, g.c, g.h * g.w, g.kh * g.kw, ohw, t.slots, t.ptr, pdx + 4 * i0 * chw, 0, g.c] },
        ];
      });
    },
  };
}
