import type { AdamStepSpec, ConvGeometry } from '../backend/backend.js';
import type { Tensor } from '../core/tensor.js';

/**
 * The primitive operations. Every op in `ops/` ends in `bind(primitive, inputs, params)`;
 * each primitive has one evaluation rule (`impl.ts`) and one VJP rule (`autodiff/rules.ts`),
 * and both tables are typed `{ [P in Primitive]: ... }` so a primitive without a rule does not
 * compile. `PrimitiveSpecs` gives each primitive its inputs (a tuple, so rules destructure them
 * without assertions) and its params.
 *
 * Conventions: elementwise binary primitives broadcast (NumPy rules) and their VJPs sum the
 * cotangent back to each operand's shape; reductions drop the reduced axes.
 */
export type CompareOp = 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne';

type Spec<I extends readonly Tensor[], P> = Readonly<{ inputs: I; params: P }>;
type Unary = Spec<readonly [x: Tensor], null>;
type Binary = Spec<readonly [a: Tensor, b: Tensor], null>;
type Structural<P> = Spec<readonly [x: Tensor], Readonly<P>>;
type Axes = Readonly<{ axes: readonly number[] }>;

export interface PrimitiveSpecs {
  // unary elementwise
  neg: Unary;
  exp: Unary;
  log: Unary;
  log1p: Unary;
  sqrt: Unary;
  abs: Unary;
  sign: Unary;
  tanh: Unary;
  sigmoid: Unary;
  softplus: Unary;
  /** x for x > 0, slope·x otherwise (relu is slope 0). */
  leakyRelu: Spec<readonly [x: Tensor], Readonly<{ slope: number }>>;
  /**
   * The VJP of leakyRelu fused into one pass: (x, g) → g where x > 0, slope·g otherwise. Linear
   * in g; its derivative in x is zero almost everywhere.
   */
  leakyReluGrad: Spec<readonly [x: Tensor, g: Tensor], Readonly<{ slope: number }>>;
  /** The identity, a constant to every transform (its VJP is zero). */
  stopGradient: Unary;
  // binary elementwise, NumPy broadcasting
  add: Binary;
  sub: Binary;
  mul: Binary;
  div: Binary;
  pow: Binary;
  maximum: Binary;
  minimum: Binary;
  /** 1 where `a op b`, else 0 (no gradient). */
  compare: Spec<readonly [a: Tensor, b: Tensor], Readonly<{ op: CompareOp }>>;
  /** where(cond, a, b): picks a where cond ≠ 0 (all three broadcast). */
  where: Spec<readonly [cond: Tensor, a: Tensor, b: Tensor], null>;
  // reductions (axes removed from the shape)
  sum: Structural<Axes>;
  max: Structural<Axes>;
  // structure
  reshape: Structural<{ shape: readonly number[] }>;
  transpose: Structural<{ perm: readonly number[] }>;
  broadcastTo: Structural<{ shape: readonly number[] }>;
  /** Strided slice: out[i] = x[start + i·step] per axis, `sizes` elements. */
  slice: Structural<{ starts: readonly number[]; sizes: readonly number[]; steps: readonly number[] }>;
  /**
   * Zero padding as XLA's pad: `lo[d]` zeros before, `hi[d]` after and `interior[d]` between
   * neighbouring elements along each axis (interior padding makes it the adjoint of a strided slice).
   */
  pad: Structural<{ lo: readonly number[]; hi: readonly number[]; interior: readonly number[] }>;
  /** Joins one or more tensors along `axis` (all other dimensions equal). */
  concat: Spec<readonly Tensor[], Readonly<{ axis: number }>>;
  // linear algebra and convolution (backend kernels)
  /** C = op(A)·op(B) for 2-D A, B. */
  matmul: Spec<readonly [a: Tensor, b: Tensor], Readonly<{ transA: boolean; transB: boolean }>>;
  /** (x, w[, bias `[O]`]) → y; the bias is added in the kernel's epilogue (no extra tensor). */
  conv2d: Spec<readonly [x: Tensor, w: Tensor] | readonly [x: Tensor, w: Tensor, bias: Tensor], Readonly<{ geometry: ConvGeometry }>>;
  /** The input gradient of conv2d (also conv_transpose2d): (dy, w[, bias `[C]`]) → dx. */
  conv2dGradInput: Spec<readonly [dy: Tensor, w: Tensor] | readonly [dy: Tensor, w: Tensor, bias: Tensor], Readonly<{ geometry: ConvGeometry }>>;
  /** The weight gradient of conv2d: (x, dy) → dw. */
  conv2dGradWeight: Spec<readonly [x: Tensor, dy: Tensor], Readonly<{ geometry: ConvGeometry }>>;
  /**
   * One spectral-norm power-iteration step on W `[rows, cols]` from u `[rows]` (the backend's
   * `powerIteration` kernel): v = normalise(Wᵀu), u' = normalise(W v), σ = u'ᵀ W v, packed as
   * `[rows + cols + 1]` = (u', v, σ). Its VJP is zero: it runs on stopGradient(W).
   */
  powerIteration: Spec<readonly [w: Tensor, u: Tensor], Readonly<{ eps: number }>>;
  // optimisers (multi-output kernels: one packed result, read through packedPart)
  /**
   * One fused Adam step over k leaves (the backend's `adamUpdate` kernel): inputs
   * (c1, c2, lr) 0-d — the bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ and this step's learning rate,
   * tensors so that a jitted step does not retrace as t changes — then the k params, the k
   * grads, the k first and the k second moments. Output `[3·total]`: every p', then every m',
   * then every v' (see `ops/adam_update.ts`); with `rule: 'adamax'` Adamax's step (v is u∞,
   * c2 unused). Not differentiable: its VJP throws.
   */
  adamUpdate: Spec<readonly Tensor[], Readonly<Omit<AdamStepSpec, 'c1' | 'c2' | 'lr'>>>;
  /**
   * `shape` elements of a packed multi-output result from `offset`: a view of its data (no
   * copy). Only for the fresh results of multi-output kernels (`adamUpdate`), never written.
   */
  packedPart: Structural<{ offset: number; shape: readonly number[] }>;
}

export type Primitive = keyof PrimitiveSpecs;
/** The inputs of primitive P: a tuple of its operands (concat: any number). */
export type Inputs<P extends Primitive> = PrimitiveSpecs[P]['inputs'];
export type Params<P extends Primitive> = PrimitiveSpecs[P]['params'];
/** The tuple T with every element replaced by V (same length, same optional elements). */
type Each<T extends readonly unknown[], V> = { readonly [K in keyof T]: V };
/** One entry per input of P, with P's arity (`T` for each operand). */
export type PerInput<P extends Primitive, T> = Each<Inputs<P>, T>;

/**
 * The names of each primitive's inputs, a runtime copy of `PrimitiveSpecs` (the type checks
 * that every primitive is listed, with one name per operand; `...` marks a variadic input and
 * `?` an optional one). `PRIMITIVES` is derived from it.
 */
export const PRIMITIVE_INPUTS: { readonly [P in Primitive]: PerInput<P, string> } = {
  neg: ['x'],
  exp: ['x'],
  log: ['x'],
  log1p: ['x'],
  sqrt: ['x'],
  abs: ['x'],
  sign: ['x'],
  tanh: ['x'],
  sigmoid: ['x'],
  softplus: ['x'],
  leakyRelu: ['x'],
  leakyReluGrad: ['x', 'g'],
  stopGradient: ['x'],
  add: ['a', 'b'],
  sub: ['a', 'b'],
  mul: ['a', 'b'],
  div: ['a', 'b'],
  pow: ['a', 'b'],
  maximum: ['a', 'b'],
  minimum: ['a', 'b'],
  compare: ['a', 'b'],
  where: ['cond', 'a', 'b'],
  sum: ['x'],
  max: ['x'],
  reshape: ['x'],
  transpose: ['x'],
  broadcastTo: ['x'],
  slice: ['x'],
  pad: ['x'],
  concat: ['...xs'],
  matmul: ['a', 'b'],
  conv2d: ['x', 'w', 'bias?'],
  conv2dGradInput: ['dy', 'w', 'bias?'],
  conv2dGradWeight: ['x', 'dy'],
  powerIteration: ['w', 'u'],
  adamUpdate: ['c1', 'c2', 'lr', '...leaves'],
  packedPart: ['packed'],
};

/** Every primitive, in the order of `PrimitiveSpecs`. */
export const PRIMITIVES: readonly Primitive[] = Object.keys(PRIMITIVE_INPUTS) as Primitive[];
