import { ShapeError, ValueError } from '../core/errors.js';
import { pair, type Pair } from '../core/pair.js';
import type { ConvGeometry, GemmSpec } from './backend.js';

export type ConvOptions = Readonly<{
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}>;

export type ConvTransposeOptions = ConvOptions & Readonly<{ outputPadding?: Pair }>;

function checkInt(v: number, what: string, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) {
    throw new ValueError(`${what} must be an integer >= ${min}, got ${v}`);
  }
}

/**
 * Geometry of conv2d(x `[n, c, h, w]`, weight `[o, c, kh, kw]`). Throws ShapeError when the
 * channel counts disagree or the output would be empty, ValueError on bad stride/padding/dilation.
 */
export function convGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  opts: ConvOptions = {},
): ConvGeometry {
  if (xShape.length !== 4) throw new ShapeError(`conv2d input must be [N, C, H, W], got rank ${xShape.length}`, { x: xShape });
  if (wShape.length !== 4) throw new ShapeError(`conv2d weight must be [O, C, kh, kw], got rank ${wShape.length}`, { weight: wShape });
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, wc, kh, kw] = wShape as [number, number, number, number];
  if (wc !== c) {
    throw new ShapeError(`conv2d weight expects ${wc} input channels but x has ${c}`, { x: xShape, weight: wShape });
  }
  const [strideH, strideW] = pair(opts.stride, 1);
  const [padH, padW] = pair(opts.padding, 0);
  const [dilationH, dilationW] = pair(opts.dilation, 1);
  checkInt(strideH, 'stride', 1);
  checkInt(strideW, 'stride', 1);
  checkInt(padH, 'padding', 0);
  checkInt(padW, 'padding', 0);
  checkInt(dilationH, 'dilation', 1);
  checkInt(dilationW, 'dilation', 1);
  for (const [v, name] of [[n, 'N'], [c, 'C'], [h, 'H'], [w, 'W'], [o, 'O'], [kh, 'kh'], [kw, 'kw']] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new ShapeError(`conv2d dimension ${name} must be >= 1`, { x: xShape, weight: wShape });
  }
  const oh = Math.floor((h + 2 * padH - dilationH * (kh - 1) - 1) / strideH) + 1;
  const ow = Math.floor((w + 2 * padW - dilationW * (kw - 1) - 1) / strideW) + 1;
  if (oh < 1 || ow < 1) {
    throw new ShapeError(
      `conv2d output would be empty (${oh}×${ow}): the dilated kernel is larger than the padded input`,
      { x: xShape, weight: wShape },
    );
  }
  return { n, c, h, w, o, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, oh, ow };
}

/**
 * Geometry for conv_transpose2d(x `[n, cin, h, w]`, weight `[cin, cout, kh, kw]`): the geometry
 * of the forward conv whose input-gradient it computes. Output size
 * H = (h − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
 */
export function convTransposeGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  opts: ConvTransposeOptions = {},
): ConvGeometry {
  if (xShape.length !== 4) throw new ShapeError(`conv_transpose2d input must be [N, Cin, H, W], got rank ${xShape.length}`, { x: xShape });
  if (wShape.length !== 4) throw new ShapeError(`conv_transpose2d weight must be [Cin, Cout, kh, kw], got rank ${wShape.length}`, { weight: wShape });
  const [n, cin, h, w] = xShape as [number, number, number, number];
  const [wcin, cout, kh, kw] = wShape as [number, number, number, number];
  if (wcin !== cin) {
    throw new ShapeError(`conv_transpose2d weight expects ${wcin} input channels but x has ${cin}`, { x: xShape, weight: wShape });
  }
  const [strideH, strideW] = pair(opts.stride, 1);
  const [padH, padW] = pair(opts.padding, 0);
  const [dilationH, dilationW] = pair(opts.dilation, 1);
  const [opH, opW] = pair(opts.outputPadding, 0);
  checkInt(opH, 'outputPadding', 0);
  checkInt(opW, 'outputPadding', 0);
  checkInt(strideH, 'stride', 1);
  checkInt(strideW, 'stride', 1);
  if (opH >= Math.max(strideH, dilationH) || opW >= Math.max(strideW, dilationW)) {
    throw new ValueError(`outputPadding must be smaller than stride or dilation, got ${opH},${opW} with stride ${strideH},${strideW}`);
  }
  const H = (h - 1) * strideH - 2 * padH + dilationH * (kh - 1) + opH + 1;
  const W = (w - 1) * strideW - 2 * padW + dilationW * (kw - 1) + opW + 1;
  if (H < 1 || W < 1) {
    throw new ShapeError(`conv_transpose2d output would be empty (${H}×${W})`, { x: xShape, weight: wShape });
  }
  const g = convGeometry([n, cout, H, W], [cin, cout, kh, kw], { stride: [strideH, strideW], padding: [padH, padW], dilation: [dilationH, dilationW] });
  if (g.oh !== h || g.ow !== w) {
    throw new ShapeError(`conv_transpose2d geometry is inconsistent: forward conv of ${H}×${W} gives ${g.oh}×${g.ow}, not ${h}×${w}`, { x: xShape, weight: wShape });
  }
  return g;
}

/** Output shape of a conv geometry: [n, o, oh, ow]. */
export const convOutputShape = (g: ConvGeometry): [number, number, number, number] => [g.n, g.o, g.oh, g.ow];

/** Validates that buffers match a GEMM spec. */
export function checkGemm(a: Float32Array, b: Float32Array, s: GemmSpec): void {
  for (const [v, name] of [[s.m, 'm'], [s.n, 'n'], [s.k, 'k']] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new ValueError(`gemm ${name} must be a non-negative integer, got ${v}`);
  }
  if (a.length !== s.m * s.k) {
    throw new ShapeError(`gemm A has ${a.length} elements, expected m·k = ${s.m * s.k}`, { A: s.transA ? [s.k, s.m] : [s.m, s.k] });
  }
  if (b.length !== s.k * s.n) {
    throw new ShapeError(`gemm B has ${b.length} elements, expected k·n = ${s.k * s.n}`, { B: s.transB ? [s.n, s.k] : [s.k, s.n] });
  }
}

/** Validates conv buffers against a geometry. */
export function checkConvBuffers(
  g: ConvGeometry,
  buffers: Readonly<{ x?: Float32Array; weight?: Float32Array; dy?: Float32Array }>,
): void {
  const want = {
    x: [g.n, g.c, g.h, g.w],
    weight: [g.o, g.c, g.kh, g.kw],
    dy: [g.n, g.o, g.oh, g.ow],
  } as const;
  for (const key of ['x', 'weight', 'dy'] as const) {
    const buf = buffers[key];
    if (buf === undefined) continue;
    const shape = want[key];
    const size = shape.reduce((p, d) => p * d, 1);
    if (buf.length !== size) {
      throw new ShapeError(`conv ${key} buffer has ${buf.length} elements, geometry needs ${size}`, { [key]: shape });
    }
  }
}

/** Validates the buffers of a power-iteration step on W `[rows, cols]` with u `[rows]`. */
export function checkPowerIteration(w: Float32Array, rows: number, cols: number, u: Float32Array): void {
  if (w.length !== rows * cols) {
    throw new ShapeError(`power iteration: W has ${w.length} elements, expected rows·cols = ${rows * cols}`, { W: [rows, cols] });
  }
  if (u.length !== rows) {
    throw new ShapeError(`power iteration: u must have length rows = ${rows}, got ${u.length}`, { W: [rows, cols], u: [u.length] });
  }
}
