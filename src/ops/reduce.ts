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

function axesOf(x: Tensor, axis: number | readonly number[] | undefined): number[] {
  const rank = x.shape.length;
  const list = axis === undefined ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : [...axis];
  return [...new Set(list.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
}

const keptShape = (x: Tensor, axes: readonly number[]): number[] => x.shape.map((d, i) => (axes.includes(i) ? 1 : d));

/** Σ over `axis` (all axes by default). */
export function sum(x: Tensor, opts: ReduceOptions = {}): Tensor {
  checkOptions('sum', opts, REDUCE_KEYS);
  const axes = axesOf(x, opts.axis);
  const y = axes.length === 0 ? x : bind('sum', [x], { axes });
  return opts.keepDims ? reshape(y, keptShape(x, axes)) : y;
}

/** Mean over `axis` (all axes by default). */
export function mean(x: Tensor, opts: ReduceOptions = {}): Tensor {
  checkOptions('mean', opts, REDUCE_KEYS);
  const axes = axesOf(x, opts.axis);
  const count = sizeOf(axes.map((a) => x.shape[a]!));
  return div(sum(x, opts), count);
}

/** Max over `axis`; the gradient is shared equally between tied maxima. */
export function max(x: Tensor, opts: ReduceOptions = {}): Tensor {
  checkOptions('max', opts, REDUCE_KEYS);
  const axes = axesOf(x, opts.axis);
  const y = axes.length === 0 ? x : bind('max', [x], { axes });
  return opts.keepDims ? reshape(y, keptShape(x, axes)) : y;
}

/**
 * Variance over `axis`: Σ(x − mean)² / (n − correction). `correction` 0 is the biased
 * (population) variance used by batch norm, 1 the unbiased one (PyTorch's default for var).
 */
export function variance(x: Tensor, opts: VarianceOptions = {}): Tensor {
  checkOptions('variance', opts, VARIANCE_KEYS);
  const axes = axesOf(x, opts.axis);
  const n = sizeOf(axes.map((a) => x.shape[a]!));
  const m = mean(x, { axis: axes, keepDims: true });
  const ss = sum(square(sub(x, m)), { axis: axes, keepDims: opts.keepDims ?? false });
  return div(ss, n - (opts.correction ?? 0));
}

/** log Σ exp(x) over `axis`, stabilised by subtracting the max (a constant for the gradient). */
export function logSumExp(x: Tensor, opts: ReduceOptions = {}): Tensor {
  checkOptions('logSumExp', opts, REDUCE_KEYS);
  const axes = axesOf(x, opts.axis);
  const mx = max(stopGradient(x), { axis: axes, keepDims: true });
  // An all-(−∞) (or NaN) slice has no finite max to subtract: shift it by 0 instead.
  const m = where(compare(abs(mx), Infinity, 'lt'), mx, 0);
  const y = add(log(sum(exp(sub(x, m)), { axis: axes, keepDims: true })), m);
  return opts.keepDims ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}
