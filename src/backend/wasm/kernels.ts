import { BackendError } from '../../core/errors.js';
import type { ConvGeometry, GemmSpec, PowerIterationResult } from '../backend.js';
import { checkConvBuffers, checkGemm, checkPowerIteration } from '../geometry.js';
import type { WasmKernels } from './api.js';
import type { AdamDriver } from './adam.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import type { GatherDriver } from './gather.js';
import type { GemmCall } from './gemm.js';
import { channelRows, dense } from './operand.js';

/**
 * The same kernels on operands already in linear memory (`at`, for the jit compiler's resident
 * graphs): byte offsets in, the result written at a given offset, scratch on the bump arena
 * (the caller resets it), nothing copied.
 */
export type PointerKernels = Readonly<{
  gemm(pa: number, pb: number, pc: number, spec: GemmSpec): void;
  conv2d(px: number, pw: number, py: number, g: ConvGeometry): void;
  conv2dGradInput(pdy: number, pw: number, pdx: number, g: ConvGeometry): void;
  conv2dGradWeight(px: number, pdy: number, pdw: number, g: ConvGeometry): void;
  /** The fused Adam step's packed result `[3·Σn]` at `out` from each leaf's p, g, m, v in memory. */
  adamUpdate: AdamDriver['adamUpdateAt'];
}>;

/**
 * The backend's kernels on Float32Arrays: each resets the arena, copies its inputs in, runs
 * the module's kernels through the GEMM, gather and Adam drivers, and copies the result out.
 *
 * Convolutions are GEMMs over segmented views (operand.ts), so a batch is one matrix without
 * copies: forward is im2col + GEMM writing straight into y `[N, O, OH, OW]`; grad-input is
 * GEMM(Wᵀ, dy) + col2im (conv-transpose is this kernel on the transposed geometry);
 * grad-weight is GEMM(dy, colᵀ) accumulated over image chunks; 1×1 stride-1 convs skip
 * im2col. Images are processed in chunks whose column matrix stays within `colBudgetFloats`.
 */
export function createKernels(
  opts: Readonly<{ exports: WasmExports; arena: Arena; gemm: (call: GemmCall) => void; gather: GatherDriver; adam: AdamDriver; colBudgetFloats: number }>,
): { kernels: WasmKernels; at: PointerKernels } {
  const { exports: k, arena, gemm: runGemm, gather, colBudgetFloats } = opts;

  /**
   * Images per chunk: the fewest chunks whose column matrix stays within the budget, of equal
   * size (64 images of a budget of 20 are 4 chunks of 16, not 20, 20, 20 and 4: a thin last
   * chunk is a GEMM too narrow to keep the threads busy).
   */
  const chunk = (g: ConvGeometry): number => {
    const most = Math.max(1, Math.min(g.n, Math.floor(colBudgetFloats / (g.c * g.kh * g.kw * g.oh * g.ow))));
    return Math.ceil(g.n / Math.ceil(g.n / most));
  };
  const is1x1 = (g: ConvGeometry): boolean =>
    g.kh === 1 && g.kw === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;

  /** C `[m, n]` at pc = op(A) at pa · op(B) at pb. */
  const gemmAt = (pa: number, pb: number, pc: number, s: GemmSpec): void => {
    const { m, n, k: kk, transA, transB } = s;
    runGemm({ m, n, k: kk, a: dense(pa, m, kk, transA), b: dense(pb, kk, n, transB), c: dense(pc, m, n), accumulate: false });
  };

  /**
   * The column matrices of x at px, chunk by chunk: for images [i0, i0 + cnt), im2col into one
   * arena buffer `[ckk, cnt·oh·ow]` at pcol (reused by every chunk), then `use(i0, cnt, pcol)`.
   */
  const forEachIm2colChunk = (px: number, g: ConvGeometry, use: (i0: number, cnt: number, pcol: number) => void): void => {
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, chw = g.c * g.h * g.w;
    const nb = chunk(g);
    const pcol = arena.alloc(ckk * nb * ohw, 'im2col buffer');
    const tab = gather.im2colTable(g);
    for (let i0 = 0; i0 < g.n; i0 += nb) {
      const cnt = Math.min(nb, g.n - i0);
      gather.im2col(g, cnt, px + 4 * i0 * chw, pcol, tab);
      use(i0, cnt, pcol);
    }
  };

  /** y `[n, o, oh, ow]` at py from x at px and weight at pw (im2col chunks on the bump arena). */
  const conv2dAt = (px: number, pw: number, py: number, g: ConvGeometry): void => {
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, hw = g.h * g.w;
    // y[image, o, pixel] = W[o, ckk] · col[ckk, (image, pixel)]
    const w = dense(pw, g.o, ckk);
    if (is1x1(g)) {
      // The columns are x itself: col[channel, (image, pixel)] = x[image, channel, pixel].
      runGemm({ m: g.o, n: g.n * ohw, k: ckk, a: w, b: channelRows(px, { channels: g.c, pixels: hw }), c: channelRows(py, { channels: g.o, pixels: ohw }), accumulate: false });
      return;
    }
    forEachIm2colChunk(px, g, (i0, cnt, pcol) => {
      const y = channelRows(py + 4 * i0 * g.o * ohw, { channels: g.o, pixels: ohw });
      runGemm({ m: g.o, n: cnt * ohw, k: ckk, a: w, b: dense(pcol, ckk, cnt * ohw), c: y, accumulate: false });
    });
  };

  /** dx `[n, c, h, w]` at pdx from dy at pdy and weight at pw. */
  const conv2dGradInputAt = (pdy: number, pw: number, pdx: number, g: ConvGeometry): void => {
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow, chw = g.c * g.h * g.w, hw = g.h * g.w;
    // dcol[ckk, (image, pixel)] = Wᵀ[ckk, o] · dy[o, (image, pixel)]
    const wT = dense(pw, ckk, g.o, true);
    if (is1x1(g)) {
      runGemm({ m: ckk, n: g.n * ohw, k: g.o, a: wT, b: channelRows(pdy, { channels: g.o, pixels: ohw }), c: channelRows(pdx, { channels: g.c, pixels: hw }), accumulate: false });
      return;
    }
    const nb = chunk(g);
    const pcol = arena.alloc(ckk * nb * ohw, 'col2im buffer');
    const t = gather.col2imTable(g);
    let filledFor = 0;
    for (let i0 = 0; i0 < g.n; i0 += nb) {
      const cnt = Math.min(nb, g.n - i0);
      if (cnt !== filledFor) t.fill((filledFor = cnt) * ohw);
      const dyChunk = channelRows(pdy + 4 * i0 * g.o * ohw, { channels: g.o, pixels: ohw });
      runGemm({ m: ckk, n: cnt * ohw, k: g.o, a: wT, b: dyChunk, c: dense(pcol, ckk, cnt * ohw), accumulate: false });
      gather.col2im(g, cnt, pcol, pdx + 4 * i0 * chw, t);
    }
  };

  /** dweight `[o, c, kh, kw]` at pdw from x at px and dy at pdy. */
  const conv2dGradWeightAt = (px: number, pdy: number, pdw: number, g: ConvGeometry): void => {
    const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
    // dW[o, ckk] = Σ_chunks dy[o, (image, pixel)] · col[ckk, (image, pixel)]ᵀ
    forEachIm2colChunk(px, g, (i0, cnt, pcol) => {
      const dyChunk = channelRows(pdy + 4 * i0 * g.o * ohw, { channels: g.o, pixels: ohw });
      runGemm({ m: g.o, n: ckk, k: cnt * ohw, a: dyChunk, b: dense(pcol, cnt * ohw, ckk, true), c: dense(pdw, g.o, ckk), accumulate: i0 > 0 });
    });
  };

  const at: PointerKernels = { gemm: gemmAt, conv2d: conv2dAt, conv2dGradInput: conv2dGradInputAt, conv2dGradWeight: conv2dGradWeightAt, adamUpdate: opts.adam.adamUpdateAt };

  const kernels: WasmKernels = {
    gemm(a, b, s, out) {
      checkGemm(a, b, s);
      arena.reset();
      const pa = arena.stage(a, 'gemm A');
      const pb = arena.stage(b, 'gemm B');
      const pc = arena.alloc(s.m * s.n, 'gemm C');
      gemmAt(pa, pb, pc, s);
      return arena.take(pc, s.m * s.n, out);
    },

    conv2d(x, weight, g, out) {
      checkConvBuffers(g, { x, weight });
      arena.reset();
      const px = arena.stage(x, 'conv input');
      const pw = arena.stage(weight, 'conv weight');
      const py = arena.alloc(g.n * g.o * g.oh * g.ow, 'conv output');
      conv2dAt(px, pw, py, g);
      return arena.take(py, g.n * g.o * g.oh * g.ow, out);
    },

    conv2dGradInput(dy, weight, g, out) {
      checkConvBuffers(g, { dy, weight });
      arena.reset();
      const pdy = arena.stage(dy, 'conv output gradient');
      const pw = arena.stage(weight, 'conv weight');
      const pdx = arena.alloc(g.n * g.c * g.h * g.w, 'conv input gradient');
      conv2dGradInputAt(pdy, pw, pdx, g);
      return arena.take(pdx, g.n * g.c * g.h * g.w, out);
    },

    conv2dGradWeight(x, dy, g, out) {
      checkConvBuffers(g, { x, dy });
      arena.reset();
      const px = arena.stage(x, 'conv input');
      const pdy = arena.stage(dy, 'conv output gradient');
      const pdw = arena.alloc(g.o * g.c * g.kh * g.kw, 'conv weight gradient');
      conv2dGradWeightAt(px, pdy, pdw, g);
      return arena.take(pdw, g.o * g.c * g.kh * g.kw, out);
    },

    powerIteration(w, rows, cols, u, eps = 1e-12): PowerIterationResult {
      checkPowerIteration(w, rows, cols, u);
      arena.reset();
      const pw = arena.stage(w, 'power-iteration W');
      const pu = arena.stage(u, 'u');
      const pv = arena.alloc(cols, 'v');
      const pu2 = arena.alloc(rows, "u'");
      const sigma = k.powerIteration(pw, rows, cols, pu, eps, pv, pu2);
      return { u: arena.take(pu2, rows), v: arena.take(pv, cols), sigma };
    },

    adamUpdate: opts.adam.adamUpdate,

    im2col(x, g, out) {
      checkConvBuffers(g, { x });
      const rows = g.c * g.kh * g.kw, cols = g.n * g.oh * g.ow;
      arena.reset();
      const px = arena.stage(x, 'im2col input');
      const pcol = arena.alloc(rows * cols, 'im2col output');
      gather.im2col(g, g.n, px, pcol, gather.im2colTable(g));
      return arena.take(pcol, rows * cols, out);
    },

    col2im(col, g, out) {
      const rows = g.c * g.kh * g.kw, cols = g.n * g.oh * g.ow;
      if (col.length !== rows * cols) {
        throw new BackendError(`col2im: col has ${col.length} elements, geometry needs [${rows}, ${cols}]`);
      }
      arena.reset();
      const pcol = arena.stage(col, 'col2im input');
      const px = arena.alloc(g.n * g.c * g.h * g.w, 'col2im output');
      const t = gather.col2imTable(g);
      t.fill(g.n * g.oh * g.ow);
      gather.col2im(g, g.n, pcol, px, t);
      return arena.take(px, g.n * g.c * g.h * g.w, out);
    },
  };
  return { kernels, at };
}
