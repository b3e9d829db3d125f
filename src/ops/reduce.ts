import { checkOptions, type OptionKeys } from '../core/options.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { abs, add, compare, div, exp, log, sub, square, where } from './elementwise.js';
import { stopGradient } from './stop_gradient.js';
import { normAxis, reshape } from './shape.js';

export type ReduceOptions = Readonly<{ axis?: number | readonly number[]; keepDims?: boolean }>;
export type VarianceOptions = ReduceOptions & Readonly<{ correction?: number }>;

const REDUCE_KEYS: OptionKeys<ReduceOptions> = { axis: true, keepDims: true };
const VARIANCE_KEYS: OptionKeys<VarianceOptions> = { ...REDUCE_KEYS, correction: true };

/** Checks `fn`'s options against `keys` and returns the sorted, normalised axes of `opts.axis`. */
function axesOf<O extends ReduceOptions>(fn: string, x: Tensor, opts: O, keys: OptionKeys<O>): number[] {
  checkOptions(fn, opts, keys);
  const axis = opts.axis;
  const rank = x.shape.length;
  const list = axis === undefined ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : [...axis];
  return [...new Set(list.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}

const keptShape = (x: Tensor, axes: readonly number[]): number[] => x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
const countOver = (x: Tensor, axes: readonly number[]): number => sizeOf(axes.map((a) => x.shape[a]!));

/** The sum or max primitive over `opts.axis`, reshaped to keep the reduced axes if asked. */
function reduceWith(prim: 'sum' | 'max', x: Tensor, opts: ReduceOptions): Tensor {
  const axes = axesOf(prim, x, opts, REDUCE_KEYS);
  const y = axes.length === 0 ? x : bind(prim, [x], { axes });
  return opts.keepDims ? reshape(y, keptShape(x, axes)) : y;
}

/** Σ over `axis` (all axes by default). */
export function sum(x: Tensor, opts: ReduceOptions = {}): Tensor {
  return reduceWith('sum', x, opts);
}

/** Mean over `axis` (all axes by default). */
export function mean(x: Tensor, opts: ReduceOptions = {}): Tensor {
  const axes = axesOf('mean', x, opts, REDUCE_KEYS);
  return div(sum(x, opts), countOver(x, axes));
}

/** Max over `axis`; the gradient is shared equally between tied maxima. */
export function max(x: Tensor, opts: ReduceOptions = {}): Tensor {
  return reduceWith('max', x, opts);
}

/**
 * Variance over `axis`: Σ(x − mean)² / (n − correction). `correction` 0 is the biased
 * (population) variance used by batch norm, 1 the unbiased one (PyTorch's default for var).
 */
export function variance(x: Tensor, opts: VarianceOptions = {}): Tensor {
  const axes = axesOf('variance', x, opts, VARIANCE_KEYS);
  const m = mean(x, { axis: axes, keepDims: true });
  const ss = sum(square(sub(x, m)), { axis: axes, keepDims: opts.keepDims ?? false });
  return div(ss, countOver(x, axes) - (opts.correction ?? 0));
}

/** log Σ exp(x) over `axis`, stabilised by subtracting the max (a constant for the gradient). */
export function logSumExp(x: Tensor, opts: ReduceOptions = {}): Tensor {
  const axes = axesOf('logSumExp', x, opts, REDUCE_KEYS);
  const mx = max(stopGradient(x), { axis: axes, keepDims: true });
  // An all-(−∞) (or NaN) slice has no finite max to subtract: shift it by 0 instead.
  const m = where(compare(abs(mx), Infinity, 'lt'), mx, 0);
  const y = add(log(sum(exp(sub(x, m)), { axis: axes, keepDims: true })), m);
  return opts.keepDims ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}
