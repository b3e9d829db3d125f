import type { ConvGeometry, GemmSpec } from '../../backend.js';
import { bindings, MAX_GROUPS, u32 } from './wgsl.js';

/**
 * The tiled GEMM every matrix product and convolution runs on: C[i, j] = Σ_p A(i, p)·B(p, j),
 * i < M, j < N, p < K. A workgroup computes one TILE×TILE block of C, stepping through K one
 * TILE at a time: each thread loads one element of the A tile and one of the B tile into
 * workgroup memory, the workgroup synchronises, and each thread accumulates its element of C
 * from the two tiles. The operands are reached only through `loadA(i, p)` / `loadB(p, j)`
 * (called with indices in range) and the result through `store(i, j, v)`, so a convolution is
 * an implicit GEMM: its loads compute the im2col (or col2im) index and return 0 in the padding,
 * and no column matrix is ever stored.
 */
export const TILE = 16;

export type GemmKernel = Readonly<{ wgsl: string; workgroups: readonly [number, number, number]; inputs: number }>;

type GemmParts = Readonly<{ m: number; n: number; k: number; inputs: number; loadA: string; loadB: string; store: string }>;

function gemmShader(p: GemmParts): GemmKernel {
  const gx = Math.ceil(p.n / TILE);
  const gy = Math.ceil(p.m / TILE);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new RangeError(`GEMM of ${p.m}×${p.n} needs more than ${MAX_GROUPS} workgroups along one dimension`);
  const T = u32(TILE);
  const wgsl = `${bindings(p.inputs)}
const M = ${u32(p.m)};
const N = ${u32(p.n)};
const K = ${u32(p.k)};
var<workgroup> ta: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<f32, ${TILE}>, ${TILE}>;
fn loadA(i: u32, p: u32) -> f32 { ${p.loadA} }
fn loadB(p: u32, j: u32) -> f32 { ${p.loadB} }
fn store(i: u32, j: u32, v: f32) { ${p.store} }
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let i = wg.y * ${T} + l.y;
  let j = wg.x * ${T} + l.x;
  var acc = 0.0;
  for (var t = 0u; t < K; t += ${T}) {
    let pa = t + l.x;
    var av = 0.0;
    if (i < M && pa < K) { av = loadA(i, pa); }
    ta[l.y][l.x] = av;
    let pb = t + l.y;
    var bv = 0.0;
    if (pb < K && j < N) { bv = loadB(pb, j); }
    tb[l.y][l.x] = bv;
    workgroupBarrier();
    for (var q = 0u; q < ${T}; q++) { acc += ta[l.y][q] * tb[q][l.x]; }
    workgroupBarrier();
  }
  if (i < M && j < N) { store(i, j, acc); }
}`;
  return { wgsl, workgroups: [Math.max(1, gx), Math.max(1, gy), 1], inputs: p.inputs };
}

/** C `[m, n]` = op(A)·op(B) on dense row-major operands (in0 = A, in1 = B). */
export function denseGemm(s: GemmSpec): GemmKernel {
  return gemmShader({
    m: s.m,
    n: s.n,
    k: s.k,
    inputs: 2,
    loadA: s.transA ? 'return in0[p * M + i];' : 'return in0[i * K + p];',
    loadB: s.transB ? 'return in1[j * K + p];' : 'return in1[p * N + j];',
    store: 'out[i * N + j] = v;',
  });
}

/**
 * The im2col element col[(c, ky, kx), (img, oy, ox)] of x `[n, c, h, w]` (binding `x`), 0 in
 * the padding, as a WGSL function body over (r, q) = (row, column).
 */
function im2colLoad(g: ConvGeometry, x: string, r: string, q: string): string {
  const kk = g.kh * g.kw, ohw = g.oh * g.ow;
  return `let c = ${r} / ${u32(kk)}; let rr = ${r} % ${u32(kk)}; let ky = rr / ${u32(g.kw)}; let kx = rr % ${u32(g.kw)};
  let img = ${q} / ${u32(ohw)}; let pix = ${q} % ${u32(ohw)}; let oy = pix / ${u32(g.ow)}; let ox = pix % ${u32(g.ow)};
  let iy = i32(oy * ${u32(g.strideH)} + ky * ${u32(g.dilationH)}) - ${g.padH};
  let ix = i32(ox * ${u32(g.strideW)} + kx * ${u32(g.dilationW)}) - ${g.padW};
  if (iy < 0 || iy >= ${g.h} || ix < 0 || ix >= ${g.w}) { return 0.0; }
  return ${x}[((img * ${u32(g.c)} + c) * ${u32(g.h)} + u32(iy)) * ${u32(g.w)} + u32(ix)];`;
}

/**
 * conv2d: y `[n, o, oh, ow]` (+ bias[o]) = W `[o, c·kh·kw]` · col `[c·kh·kw, n·oh·ow]`, with
 * in0 = x, in1 = W, in2 = bias when `bias`.
 */
export function convForward(g: ConvGeometry, bias: boolean): GemmKernel {
  const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  return gemmShader({
    m: g.o,
    n: g.n * ohw,
    k: ckk,
    inputs: bias ? 3 : 2,
    loadA: 'return in1[i * K + p];',
    loadB: im2colLoad(g, 'in0', 'p', 'j'),
    store: `let img = j / ${u32(ohw)}; let pix = j % ${u32(ohw)}; out[(img * M + i) * ${u32(ohw)} + pix] = v${bias ? ' + in2[i]' : ''};`,
  });
}

/**
 * conv2d's weight gradient: dW `[o, c·kh·kw]` = dy `[o, (n, oh, ow)]` · colᵀ, with in0 = x and
 * in1 = dy `[n, o, oh, ow]` (K runs over images and output pixels).
 */
export function convGradWeight(g: ConvGeometry): GemmKernel {
  const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  return gemmShader({
    m: g.o,
    n: ckk,
    k: g.n * ohw,
    inputs: 2,
    loadA: `let img = p / ${u32(ohw)}; let pix = p % ${u32(ohw)}; return in1[(img * M + i) * ${u32(ohw)} + pix];`,
    loadB: im2colLoad(g, 'in0', 'j', 'p'),
    store: 'out[i * N + j] = v;',
  });
}

/**
 * conv2d's input gradient (and conv_transpose2d): dx[img, c, iy, ix] (+ bias[c]) =
 * Σ_(o, ky, kx) W[o, c, ky, kx] · dy[img, o, oy, ox] over the taps with
 * oy·strideH + ky·dilationH − padH = iy (likewise x); rows i = c, columns j = (img, iy, ix),
 * K = (o, ky, kx). in0 = dy `[n, o, oh, ow]`, in1 = W `[o, c, kh, kw]`, in2 = bias.
 */
export function convGradInput(g: ConvGeometry, bias: boolean): GemmKernel {
  const kk = g.kh * g.kw, hw = g.h * g.w;
  return gemmShader({
    m: g.c,
    n: g.n * hw,
    k: g.o * kk,
    inputs: bias ? 3 : 2,
    loadA: `let o = p / ${u32(kk)}; let r = p % ${u32(kk)}; return in1[(o * M + i) * ${u32(kk)} + r];`,
    loadB: `let o = p / ${u32(kk)}; let r = p % ${u32(kk)}; let ky = r / ${u32(g.kw)}; let kx = r % ${u32(g.kw)};
  let img = j / ${u32(hw)}; let pix = j % ${u32(hw)}; let iy = pix / ${u32(g.w)}; let ix = pix % ${u32(g.w)};
  let ty = i32(iy + ${u32(g.padH)}) - i32(ky * ${u32(g.dilationH)});
  let tx = i32(ix + ${u32(g.padW)}) - i32(kx * ${u32(g.dilationW)});
  if (ty < 0 || tx < 0 || ty % ${g.strideH} != 0 || tx % ${g.strideW} != 0) { return 0.0; }
  let oy = u32(ty / ${g.strideH}); let ox = u32(tx / ${g.strideW});
  if (oy >= ${u32(g.oh)} || ox >= ${u32(g.ow)}) { return 0.0; }
  return in0[((img * ${u32(g.o)} + o) * ${u32(g.oh)} + oy) * ${u32(g.ow)} + ox];`,
    store: `let img = j / ${u32(hw)}; let pix = j % ${u32(hw)}; out[(img * M + i) * ${u32(hw)} + pix] = v${bias ? ' + in2[i]' : ''};`,
  });
}
