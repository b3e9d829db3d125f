import type { ConvGeometry, GemmSpec } from '../../backend.js';
import { bindings, i32Bits, MAX_GROUPS, u32, type Kernel } from './wgsl.js';

/**
 * The tiled GEMM every matrix product and convolution runs on: C[i, j] = Σ_p A(i, p)·B(p, j),
 * i < M, j < N, p < K. A workgroup computes one TILE×TILE block of C, stepping through K one
 * TILE at a time: each thread loads one element of the A tile and one of the B tile into
 * workgroup memory, the workgroup synchronises, and each thread accumulates its element of C
 * from the two tiles. The operands are reached only through `loadA(i, p)` / `loadB(p, j)`
 * (called with indices in range) and the result through `store(i, j, v)`, so a convolution is
 * an implicit GEMM: its loads compute the im2col (or col2im) index and return 0 in the padding,
 * and no column matrix is ever stored.
 *
 * The WGSL depends only on the variant (dense with its transposes; conv forward, grad-input
 * with or without bias; grad-weight): M, N, K and the convolution geometry are the fields of
 * the params struct `P` (`GemmParams`), so one pipeline serves every shape.
 */
export const TILE = 16;

/** The params struct of every GEMM kernel: the GEMM's sizes, then the convolution geometry (0 for a dense GEMM). */
const PARAMS_STRUCT = `struct GemmParams {
  m: u32, n: u32, k: u32,
  batch: u32, c: u32, h: u32, w: u32, o: u32, kh: u32, kw: u32,
  strideH: u32, strideW: u32, padH: i32, padW: i32, dilationH: u32, dilationW: u32, oh: u32, ow: u32,
}`;

const geometryWords = (g: ConvGeometry): number[] => [g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.strideH, g.strideW, i32Bits(g.padH), i32Bits(g.padW), g.dilationH, g.dilationW, g.oh, g.ow];

type GemmParts = Readonly<{ m: number; n: number; k: number; geometry?: ConvGeometry; inputs: number; loadA: string; loadB: string; store: string }>;

function gemmShader(p: GemmParts): Kernel {
  const gx = Math.ceil(p.n / TILE);
  const gy = Math.ceil(p.m / TILE);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new RangeError(`GEMM of ${p.m}×${p.n} needs more than ${MAX_GROUPS} workgroups along one dimension`);
  const T = u32(TILE);
  const wgsl = `${PARAMS_STRUCT}
${bindings(p.inputs, 'GemmParams')}
var<workgroup> ta: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tb: array<array<f32, ${TILE}>, ${TILE}>;
fn loadA(i: u32, p: u32) -> f32 { ${p.loadA} }
fn loadB(p: u32, j: u32) -> f32 { ${p.loadB} }
fn store(i: u32, j: u32, v: f32) { ${p.store} }
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let M = P.m;
  let N = P.n;
  let K = P.k;
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
  const params = [p.m, p.n, p.k, ...(p.geometry === undefined ? new Array<number>(15).fill(0) : geometryWords(p.geometry))];
  return { wgsl, params, workgroups: [Math.max(1, gx), Math.max(1, gy), 1] };
}

/** C `[m, n]` = op(A)·op(B) on dense row-major operands (in0 = A, in1 = B). */
export function denseGemm(s: GemmSpec): Kernel {
  return gemmShader({
    m: s.m,
    n: s.n,
    k: s.k,
    inputs: 2,
    loadA: s.transA ? 'return in0[p * P.m + i];' : 'return in0[i * P.k + p];',
    loadB: s.transB ? 'return in1[j * P.k + p];' : 'return in1[p * P.n + j];',
    store: 'out[i * P.n + j] = v;',
  });
}

/**
 * The im2col element col[(c, ky, kx), (img, oy, ox)] of x `[n, c, h, w]` (binding `x`), 0 in
 * the padding, as a WGSL function body over (r, q) = (row, column).
 */
function im2colLoad(x: string, r: string, q: string): string {
  return `let kk = P.kh * P.kw; let ohw = P.oh * P.ow;
  let c = ${r} / kk; let rr = ${r} % kk; let ky = rr / P.kw; let kx = rr % P.kw;
  let img = ${q} / ohw; let pix = ${q} % ohw; let oy = pix / P.ow; let ox = pix % P.ow;
  let iy = i32(oy * P.strideH + ky * P.dilationH) - P.padH;
  let ix = i32(ox * P.strideW + kx * P.dilationW) - P.padW;
  if (iy < 0 || iy >= i32(P.h) || ix < 0 || ix >= i32(P.w)) { return 0.0; }
  return ${x}[((img * P.c + c) * P.h + u32(iy)) * P.w + u32(ix)];`;
}

/**
 * conv2d: y `[n, o, oh, ow]` (+ bias[o]) = W `[o, c·kh·kw]` · col `[c·kh·kw, n·oh·ow]`, with
 * in0 = x, in1 = W, in2 = bias when `bias`.
 */
export function convForward(g: ConvGeometry, bias: boolean): Kernel {
  const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  return gemmShader({
    m: g.o,
    n: g.n * ohw,
    k: ckk,
    geometry: g,
    inputs: bias ? 3 : 2,
    loadA: 'return in1[i * P.k + p];',
    loadB: im2colLoad('in0', 'p', 'j'),
    store: `let ohw = P.oh * P.ow; let img = j / ohw; let pix = j % ohw; out[(img * P.m + i) * ohw + pix] = v${bias ? ' + in2[i]' : ''};`,
  });
}

/**
 * conv2d's weight gradient: dW `[o, c·kh·kw]` = dy `[o, (n, oh, ow)]` · colᵀ, with in0 = x and
 * in1 = dy `[n, o, oh, ow]` (K runs over images and output pixels).
 */
export function convGradWeight(g: ConvGeometry): Kernel {
  const ckk = g.c * g.kh * g.kw, ohw = g.oh * g.ow;
  return gemmShader({
    m: g.o,
    n: ckk,
    k: g.n * ohw,
    geometry: g,
    inputs: 2,
    loadA: 'let ohw = P.oh * P.ow; let img = p / ohw; let pix = p % ohw; return in1[(img * P.m + i) * ohw + pix];',
    loadB: im2colLoad('in0', 'j', 'p'),
    store: 'out[i * P.n + j] = v;',
  });
}

/**
 * conv2d's input gradient (and conv_transpose2d): dx[img, c, iy, ix] (+ bias[c]) =
 * Σ_(o, ky, kx) W[o, c, ky, kx] · dy[img, o, oy, ox] over the taps with
 * oy·strideH + ky·dilationH − padH = iy (likewise x); rows i = c, columns j = (img, iy, ix),
 * K = (o, ky, kx). in0 = dy `[n, o, oh, ow]`, in1 = W `[o, c, kh, kw]`, in2 = bias.
 */
export function convGradInput(g: ConvGeometry, bias: boolean): Kernel {
  const kk = g.kh * g.kw, hw = g.h * g.w;
  return gemmShader({
    m: g.c,
    n: g.n * hw,
    k: g.o * kk,
    geometry: g,
    inputs: bias ? 3 : 2,
    loadA: 'let kk = P.kh * P.kw; let o = p / kk; let r = p % kk; return in1[(o * P.m + i) * kk + r];',
    loadB: `let kk = P.kh * P.kw; let hw = P.h * P.w;
  let o = p / kk; let r = p % kk; let ky = r / P.kw; let kx = r % P.kw;
  let img = j / hw; let pix = j % hw; let iy = pix / P.w; let ix = pix % P.w;
  let ty = i32(iy) + P.padH - i32(ky * P.dilationH);
  let tx = i32(ix) + P.padW - i32(kx * P.dilationW);
  let sh = i32(P.strideH); let sw = i32(P.strideW);
  if (ty < 0 || tx < 0 || ty % sh != 0 || tx % sw != 0) { return 0.0; }
  let oy = u32(ty / sh); let ox = u32(tx / sw);
  if (oy >= P.oh || ox >= P.ow) { return 0.0; }
  return in0[((img * P.o + o) * P.oh + oy) * P.ow + ox];`,
    store: `let hw = P.h * P.w; let img = j / hw; let pix = j % hw; out[(img * P.m + i) * hw + pix] = v${bias ? ' + in2[i]' : ''};`,
  });
}
