import type { ConvGeometry } from '../backend/backend.js';

/**
 * The primitive operations. Every op in `ops/` ends in `bind(primitive, inputs, params)`;
 * each primitive has one evaluation rule (`impl.ts`) and one VJP rule (`autodiff/rules.ts`),
 * and both tables are typed `{ [P in Primitive]: ... }` so a primitive without a rule does not
 * compile.
 *
 * Conventions: elementwise binary primitives broadcast (NumPy rules) and their VJPs sum the
 * cotangent back to each operand's shape; reductions drop the reduced axes.
 */
export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

export interface PrimitiveParams {
  // unary elementwise
  neg: null;
  exp: null;
  log: null;
  log1p: null;
  sqrt: null;
  abs: null;
  sign: null;
  tanh: null;
  sigmoid: null;
  softplus: null;
  /** x for x > 0, slope·x otherwise (relu is slope 0). */
  leakyRelu: { readonly slope: number };
  /**
   * The VJP of leakyRelu fused into one pass: (x, g) → g where x > 0, slope·g otherwise. Linear
   * in g; its derivative in x is zero almost everywhere.
   */
  leakyReluGrad: { readonly slope: number };
  // binary elementwise, NumPy broadcasting
  add: null;
  sub: null;
  mul: null;
  div: null;
  pow: null;
  maximum: null;
  minimum: null;
  compare: { readonly op: CompareOp };
  /** where(cond, a, b): picks a where cond ≠ 0 (all three broadcast). */
  where: null;
  // reductions (axes removed from the shape)
  sum: { readonly axes: readonly number[] };
  max: { readonly axes: readonly number[] };
  // structure
  reshape: { readonly shape: readonly number[] };
  transpose: { readonly perm: readonly number[] };
  broadcastTo: { readonly shape: readonly number[] };
  /** Strided slice: out[i] = x[start + i·step] per axis, `sizes` elements. */
  slice: { readonly starts: readonly number[]; readonly sizes: readonly number[]; readonly steps: readonly number[] };
  /**
   * Zero padding as XLA's pad: `lo[d]` zeros before, `hi[d]` after and `interior[d]` between
   * neighbouring elements along each axis (interior padding makes it the adjoint of a strided slice).
   */
  pad: { readonly lo: readonly number[]; readonly hi: readonly number[]; readonly interior: readonly number[] };
  concat: { readonly axis: number };
  // linear algebra and convolution (backend kernels)
  /** C = op(A)·op(B) for 2-D A, B. */
  matmul: { readonly transA: boolean; readonly transB: boolean };
  /** (x, w[, bias `[O]`]) → y; the bias is added in the kernel's epilogue (no extra tensor). */
  conv2d: { readonly geometry: ConvGeometry };
  /** The input gradient of conv2d (also conv_transpose2d): (dy, w[, bias `[C]`]) → dx. */
  conv2dGradInput: { readonly geometry: ConvGeometry };
  /** The weight gradient of conv2d: (x, dy) → dw. */
  conv2dGradWeight: { readonly geometry: ConvGeometry };
}

export type Primitive = keyof PrimitiveParams;

export const PRIMITIVES: readonly Primitive[] = [
  'neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'sign', 'tanh', 'sigmoid', 'softplus', 'leakyRelu', 'leakyReluGrad',
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'compare', 'where',
  'sum', 'max', 'reshape', 'transpose', 'broadcastTo', 'slice', 'pad', 'concat',
  'matmul', 'conv2d', 'conv2dGradInput', 'conv2dGradWeight',
];
