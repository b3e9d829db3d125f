import type { CompareOp } from '../../../ops/primitives.js';
import { bindings, f32Bits, i32Bits, linearGrid, linearMain, linearParams, PRELUDE, type Kernel } from './wgsl.js';

/**
 * Elementwise and strided-copy kernels: one thread per output element i of `outShape`; operand
 * k is read at `offset_k + Σ_d coord_d(i)·strides_k[d]` (0 strides broadcast, permuted strides
 * transpose, scaled strides and an offset slice), and the element is `expr` of a0, a1, … and
 * the scalar `S` (leakyRelu's slope). The WGSL depends only on `expr` and the operand count;
 * the shape, strides and offsets are params words:
 *
 *   P = [n, rowThreads, bits(S), rank, outShape[0 … rank−1],
 *        then per operand: mode, offset, strides[0 … rank−1]]
 *
 * with mode 0 = read at i (contiguous), 1 = read at offset (one element), 2 = strided.
 */

export type Operand = Readonly<{ strides: readonly number[]; offset: number }>;

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** The operand `shape` broadcast (NumPy rules) to `outShape`, read contiguously. */
export function broadcastOperand(shape: readonly number[], outShape: readonly number[]): Operand {
  const s = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return { strides: outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : s[i - lead]!)), offset: 0 };
}

/** The params words of an operand: its mode, offset and strides. */
function operandWords(op: Operand, outShape: readonly number[]): number[] {
  const contiguous = stridesOf(outShape);
  const ignored = (s: number, d: number): boolean => outShape[d] === 1 || s === 0;
  const mode = op.offset === 0 && op.strides.every((s, d) => s === contiguous[d] || outShape[d] === 1) ? 0 : op.strides.every(ignored) ? 1 : 2;
  return [mode, op.offset, ...op.strides];
}

/** The index of operand k's element for output element i, from the params (innermost axis first). */
const OFFSET_FN = `
fn offsetOf(k: u32, i: u32) -> u32 {
  let rank = P[3];
  let at = 4u + rank + k * (2u + rank);
  let mode = P[at];
  if (mode == 0u) { return i; }
  var o = P[at + 1u];
  if (mode == 1u) { return o; }
  var rest = i;
  for (var d = rank; d > 0u; d--) {
    let dim = P[3u + d];
    o += (rest % dim) * P[at + 1u + d];
    rest = rest / dim;
  }
  return o;
}`;

/** The WGSL of out[i] = expr(a0 = in0[o0], a1 = in1[o1], …, S) over `arity` operands. */
export function mapShader(arity: number, expr: string): string {
  const body = Array.from({ length: arity }, (_, k) => `  let a${k} = in${k}[offsetOf(${k}u, i)];`).join('\n');
  return `${bindings(arity)}\n${PRELUDE}\n${OFFSET_FN}\n${linearMain(`  let S = bitcast<f32>(P[2]);\n${body}\n  out[i] = ${expr};`)}`;
}

/** out[i] = expr(a0 = in0[o0], a1 = in1[o1], …, S = scalar) over `outShape`. */
export function mapKernel(outShape: readonly number[], operands: readonly Operand[], expr: string, scalar = 0): Kernel {
  const n = size(outShape);
  const params = [...linearParams(n), f32Bits(scalar), outShape.length, ...outShape, ...operands.flatMap((op) => operandWords(op, outShape))];
  return { wgsl: mapShader(operands.length, expr), params, workgroups: linearGrid(n) };
}

/** The expression of each unary primitive in a0. */
export const UNARY_EXPR = {
  neg: '-a0',
  exp: 'exp(a0)',
  log: 'log(a0)',
  log1p: 'log1p_(a0)',
  sqrt: 'sqrt(a0)',
  abs: 'abs(a0)',
  sign: 'sign(a0)',
  tanh: 'tanh_(a0)',
  sigmoid: 'sigmoid_(a0)',
  softplus: 'max(a0, 0.0) + log1p_(exp(-abs(a0)))',
} as const;

/** The expression of each binary primitive in a0, a1 (maximum/minimum pick a NaN a0). */
export const BINARY_EXPR = {
  add: 'a0 + a1',
  sub: 'a0 - a1',
  mul: 'a0 * a1',
  div: 'a0 / a1',
  pow: 'pow_(a0, a1)',
  maximum: 'select(a1, a0, a0 >= a1 || a0 != a0)',
  minimum: 'select(a1, a0, a0 <= a1 || a0 != a0)',
} as const;

const COMPARE_OP: Readonly<Record<CompareOp, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '==', ne: '!=' };

export const compareExpr = (op: CompareOp): string => `select(0.0, 1.0, a0 ${COMPARE_OP[op]} a1)`;
export const WHERE_EXPR = 'select(a2, a1, a0 != 0.0)';
/** leakyRelu(x = a0) and its VJP (x = a0, g = a1): the value where x > 0, slope (S)·value otherwise. */
export const LEAKY_EXPR = 'select(a0 * S, a0, a0 > 0.0)';
export const LEAKY_GRAD_EXPR = 'select(a1 * S, a1, a0 > 0.0)';

/** XLA-style zero padding: P = [n, rowThreads, rank, then per axis: outDim, bits(lo), interior + 1, xDim, xStride]. */
const PAD_SHADER = `${bindings(1)}
${linearMain(`  let rank = P[2];
  var rest = i;
  var src = 0u;
  for (var d = rank; d > 0u; d--) {
    let at = 3u + (d - 1u) * 5u;
    let t = i32(rest % P[at]) - bitcast<i32>(P[at + 1u]);
    rest = rest / P[at];
    let step = i32(P[at + 2u]);
    if (t < 0 || t % step != 0 || t / step >= i32(P[at + 3u])) { out[i] = 0.0; return; }
    src += u32(t / step) * P[at + 4u];
  }
  out[i] = in0[src];`)}`;

/**
 * XLA-style zero padding: out[c] = x[(c − lo) / (interior + 1)] where every coordinate lands on
 * the grid of x, else 0.
 */
export function padKernel(xShape: readonly number[], outShape: readonly number[], lo: readonly number[], interior: readonly number[]): Kernel {
  const n = size(outShape);
  const xs = stridesOf(xShape);
  const axes = outShape.flatMap((d, axis) => [d, i32Bits(lo[axis]!), interior[axis]! + 1, xShape[axis]!, xs[axis]!]);
  return { wgsl: PAD_SHADER, params: [...linearParams(n), outShape.length, ...axes], workgroups: linearGrid(n) };
}

/** One operand of a concat: P = [n, rowThreads, chunk, rowLength, start]. */
const CONCAT_PART_SHADER = `${bindings(1)}\n${linearMain('  out[(i / P[2]) * P[3] + P[4] + i % P[2]] = in0[i];')}`;

/**
 * One operand of a concat: its element i of `[outer, chunk]` goes to
 * out[(i / chunk)·rowLength + start + i % chunk].
 */
export function concatPartKernel(elements: number, chunk: number, rowLength: number, start: number): Kernel {
  return { wgsl: CONCAT_PART_SHADER, params: [...linearParams(elements), chunk, rowLength, start], workgroups: linearGrid(elements) };
}
