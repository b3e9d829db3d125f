import type { CompareOp, Primitive, Params } from '../../ops/primitives.js';

/**
 * The fusion table: which primitives fuse into a generated elementwise loop, and the scalar
 * JavaScript expression of each. An expression receives its operands as float32 values (held in
 * doubles) and must compute exactly what the primitive's evaluation rule (`ops/impl.ts`)
 * computes for one element before it is stored; the generated loop rounds every result to
 * float32 (`Math.fround`), as storing into a Float32Array does, so fused results are
 * bit-identical to op-by-op ones (tested against the evaluation rules on random inputs).
 *
 * Known difference: leakyRelu/leakyReluGrad at a NaN x with its sign bit set. The evaluation
 * rule takes the factor from x's bits (sign set or all zero: the negative branch), which a
 * JavaScript number does not expose; the fused loop uses `x <= 0`, which agrees everywhere
 * else (−0 included) and for the NaN JavaScript produces (sign clear), and passes v for a
 * negative NaN. The forward value is NaN either way.
 */
export type FusionRule<P extends Primitive> = Readonly<{
  arity: number;
  /** The element expression from operand expressions (and the primitive's params). */
  expr: (args: readonly string[], params: Params<P>) => string;
  /** Only fused into a group that already produces its operand (alone it is a view, not a pass). */
  joinOnly?: boolean;
}>;

/** A number literal that reads back as the same double (including −0). */
export const lit = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

const call = (fn: string) => ({ arity: 1, expr: ([a]: readonly string[]) => `Math.${fn}(${a})` });
const infix = (op: string) => ({ arity: 2, expr: ([a, b]: readonly string[]) => `(${a} ${op} ${b})` });

const compareOps: Record<CompareOp, string> = { gt: '>', ge: '>=', lt: '<', le: '<=', eq: '===', ne: '!==' };

/**
 * leakyRelu's factor with the rule's arithmetic, 1 + (slope − 1)·[x ≤ 0], without a branch (a
 * data-dependent branch on random signs mispredicts half the time; the rule is branch-free too).
 */
const leakyFactor = (x: string, slope: number): string => `(1 + ${lit(slope - 1)} * +(${x} <= 0))`;

export const FUSIBLE: { readonly [P in Primitive]?: FusionRule<P> } = {
  neg: { arity: 1, expr: ([a]) => `(-${a})` },
  exp: call('exp'),
  log: call('log'),
  log1p: call('log1p'),
  sqrt: call('sqrt'),
  abs: call('abs'),
  tanh: call('tanh'),
  sign: { arity: 1, expr: ([a]) => `(${a} > 0 ? 1 : ${a} < 0 ? -1 : ${a})` },
  sigmoid: { arity: 1, expr: ([a]) => `(${a} >= 0 ? 1 / (1 + Math.exp(-${a})) : Math.exp(${a}) / (1 + Math.exp(${a})))` },
  softplus: { arity: 1, expr: ([a]) => `(Math.max(${a}, 0) + Math.log1p(Math.exp(-Math.abs(${a}))))` },
  stopGradient: { arity: 1, expr: ([a]) => a!, joinOnly: true },
  leakyRelu: { arity: 1, expr: ([x], { slope }) => `(${x} * ${leakyFactor(x!, slope)})` },
  leakyReluGrad: { arity: 2, expr: ([x, g], { slope }) => `(${g} * ${leakyFactor(x!, slope)})` },
  add: infix('+'),
  sub: infix('-'),
  mul: infix('*'),
  div: infix('/'),
  pow: { arity: 2, expr: ([a, b]) => `Math.pow(${a}, ${b})` },
  maximum: { arity: 2, expr: ([a, b]) => `(${a} >= ${b} || ${a} !== ${a} ? ${a} : ${b})` },
  minimum: { arity: 2, expr: ([a, b]) => `(${a} <= ${b} || ${a} !== ${a} ? ${a} : ${b})` },
  compare: { arity: 2, expr: ([a, b], { op }) => `(${a} ${compareOps[op]} ${b} ? 1 : 0)` },
  where: { arity: 3, expr: ([c, a, b]) => `(${c} !== 0 ? ${a} : ${b})` },
};

export function fusionRule(prim: Primitive): FusionRule<Primitive> | undefined {
  return FUSIBLE[prim] as FusionRule<Primitive> | undefined;
}

/** Kernels whose output buffer the compiler plans (they take an `out` array; `compile.ts` calls them). */
export const KERNEL_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(['matmul', 'conv2d', 'conv2dGradInput', 'conv2dGradWeight']);

/** Primitives whose result shares its input's data: no pass over memory, no buffer. */
export const VIEW_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(['reshape', 'stopGradient']);
