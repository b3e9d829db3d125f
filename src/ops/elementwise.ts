import { ValueError } from '../core/errors.js';
import { isTensor, scalar, shapesEqual, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import type { CompareOp } from './primitives.js';
import { broadcastShapes, broadcastTo } from './shape.js';

/** A tensor or a plain number (a scalar that broadcasts). */
export type TensorLike = Tensor | number;

export function asTensor(x: TensorLike): Tensor {
  if (typeof x === 'number') return scalar(x);
  if (!isTensor(x)) throw new ValueError(`expected a Tensor or a number, got ${Object.prototype.toString.call(x)}`);
  return x;
}

/** Broadcasts operands to a common shape (NumPy rules). */
export function broadcastAll(...xs: TensorLike[]): Tensor[] {
  const ts = xs.map(asTensor);
  const shape = ts.reduce<readonly number[]>((s, t) => broadcastShapes(s, t.shape), []);
  return ts.map((t) => (shapesEqual(t.shape, shape) ? t : broadcastTo(t, shape)));
}

const bin =
  (prim: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum') =>
  (a: TensorLike, b: TensorLike): Tensor => {
    const ta = asTensor(a);
    const tb = asTensor(b);
    broadcastShapes(ta.shape, tb.shape);
    return bind(prim, [ta, tb], null);
  };

/** a + b, broadcasting. */
export const add = bin('add');
/** a − b, broadcasting. */
export const sub = bin('sub');
/** a · b, broadcasting. */
export const mul = bin('mul');
/** a / b, broadcasting. */
export const div = bin('div');
/** aᵇ, broadcasting; d/da = b·aᵇ⁻¹, d/db = aᵇ·log a. */
export const pow = bin('pow');
/** Elementwise max; on ties the gradient goes to the first operand. */
export const maximum = bin('maximum');
/** Elementwise min; on ties the gradient goes to the first operand. */
export const minimum = bin('minimum');

const un =
  (prim: 'neg' | 'exp' | 'log' | 'log1p' | 'sqrt' | 'abs' | 'sign' | 'tanh' | 'sigmoid' | 'softplus') =>
  (x: Tensor): Tensor =>
    bind(prim, [asTensor(x)], null);

export const neg = un('neg');
export const exp = un('exp');
export const log = un('log');
/** log(1 + x), accurate near 0. */
export const log1p = un('log1p');
export const sqrt = un('sqrt');
export const abs = un('abs');
/** −1, 0 or 1 (zero gradient). */
export const sign = un('sign');
export const tanh = un('tanh');
/** σ(x) = 1 / (1 + e⁻ˣ), computed stably. */
export const sigmoid = un('sigmoid');
/** log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)); d/dx = σ(x). */
export const softplus = un('softplus');

export const square = (x: Tensor): Tensor => mul(x, x);

/** Elementwise comparison as 0/1 floats (no gradient). */
export function compare(a: TensorLike, b: TensorLike, op: CompareOp): Tensor {
  const ta = asTensor(a);
  const tb = asTensor(b);
  broadcastShapes(ta.shape, tb.shape);
  return bind('compare', [ta, tb], { op });
}
export const greater = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'gt');
export const less = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'lt');
export const equal = (a: TensorLike, b: TensorLike): Tensor => compare(a, b, 'eq');

/** Picks a where cond ≠ 0, else b (broadcasting all three). Gradient flows to the picked side only. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const ts = [asTensor(cond), asTensor(a), asTensor(b)] as const;
  ts.reduce<readonly number[]>((s, t) => broadcastShapes(s, t.shape), []);
  return bind('where', ts, null);
}

/** Clamps into [lo, hi] (either bound may be omitted); gradient 1 inside, 0 outside. */
export function clamp(x: Tensor, lo?: number, hi?: number): Tensor {
  if (lo !== undefined && hi !== undefined && lo > hi) throw new ValueError(`clamp needs lo <= hi, got [${lo}, ${hi}]`);
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y;
}
