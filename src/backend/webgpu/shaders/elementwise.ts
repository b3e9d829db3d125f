import type { CompareOp } from '../../../ops/primitives.js';
import { bindings, f32, linearMain, PRELUDE, u32 } from './wgsl.js';

/**
 * Elementwise and strided-copy kernels: one thread per output element i of `outShape`; operand
 * k is read at `offset_k + Σ_d coord_d(i)·strides_k[d]` (0 strides broadcast, permuted strides
 * transpose, scaled strides and an offset slice), and the element is `expr` of a0, a1, …
 * The index arithmetic is baked into the shader as constants.
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

/** WGSL statements computing `let o{k}: u32` for operand k from `i`. */
function offsetCode(k: number, op: Operand, outShape: readonly number[]): string {
  const contiguous = stridesOf(outShape);
  if (op.offset === 0 && op.strides.every((s, d) => s === contiguous[d] || outShape[d] === 1)) return `  let o${k} = i;`;
  if (op.strides.every((s, d) => s === 0 || outShape[d] === 1)) return `  let o${k} = ${u32(op.offset)};`;
  const terms: string[] = [u32(op.offset)];
  outShape.forEach((d, axis) => {
    const st = op.strides[axis]!;
    if (st === 0 || d === 1) return;
    const inner = contiguous[axis]!;
    terms.push(`((i / ${u32(inner)}) % ${u32(d)}) * ${u32(st)}`);
  });
  return `  let o${k} = ${terms.join(' + ')};`;
}

/** out[i] = expr(a0 = in0[o0], a1 = in1[o1], …) over `outShape`. */
export function mapShader(outShape: readonly number[], operands: readonly Operand[], expr: string): string {
  const n = size(outShape);
  const body = operands.map((op, k) => `${offsetCode(k, op, outShape)}\n  let a${k} = in${k}[o${k}];`).join('\n');
  return `${bindings(operands.length)}\n${PRELUDE}\n${linearMain(n, `${body}\n  out[i] = ${expr};`)}`;
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
/** leakyRelu(x = a0) and its VJP (x = a0, g = a1): the value where x > 0, slope·value otherwise. */
export const leakyExpr = (slope: number, grad: boolean): string => (grad ? `select(a1 * ${f32(slope)}, a1, a0 > 0.0)` : `select(a0 * ${f32(slope)}, a0, a0 > 0.0)`);

/**
 * XLA-style zero padding: out[c] = x[(c − lo) / (interior + 1)] where every coordinate lands on
 * the grid of x, else 0.
 */
export function padShader(xShape: readonly number[], outShape: readonly number[], lo: readonly number[], interior: readonly number[]): string {
  const n = size(outShape);
  const os = stridesOf(outShape);
  const xs = stridesOf(xShape);
  const lines = ['  var src = 0u;'];
  outShape.forEach((d, axis) => {
    const step = interior[axis]! + 1;
    lines.push(`  {
    let t = i32((i / ${u32(os[axis]!)}) % ${u32(d)}) - ${lo[axis]!};
    if (t < 0 || t % ${step} != 0 || t / ${step} >= ${xShape[axis]!}) { out[i] = 0.0; return; }
    src += u32(t / ${step}) * ${u32(xs[axis]!)};
  }`);
  });
  lines.push('  out[i] = in0[src];');
  return `${bindings(1)}\n${linearMain(n, lines.join('\n'))}`;
}

/**
 * One operand of a concat: its element i of `[outer, chunk]` goes to
 * out[(i / chunk)·rowLength + start + i % chunk].
 */
export function concatPartShader(elements: number, chunk: number, rowLength: number, start: number): string {
  return `${bindings(1)}\n${linearMain(elements, `  out[(i / ${u32(chunk)}) * ${u32(rowLength)} + ${u32(start)} + i % ${u32(chunk)}] = in0[i];`)}`;
}
