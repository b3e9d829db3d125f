import { ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { add } from './elementwise.js';

export type MatmulOptions = Readonly<{ transA?: boolean; transB?: boolean }>;

/**
 * Matrix product of 2-D tensors: op(a) `[m, k]` · op(b) `[k, n]` → `[m, n]`, where op
 * transposes when `transA` / `transB` is set (no copy is made).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw new ShapeError('matmul needs 2-D operands', { a: a.shape, b: b.shape });
  }
  const ka = transA ? a.shape[0]! : a.shape[1]!;
  const kb = transB ? b.shape[1]! : b.shape[0]!;
  if (ka !== kb) {
    throw new ShapeError(
      `matmul inner dimensions differ: op(a) has ${ka} columns, op(b) has ${kb} rows (transA=${transA}, transB=${transB})`,
      { a: a.shape, b: b.shape },
    );
  }
  return bind('matmul', [a, b], { transA, transB });
}

/**
 * PyTorch's linear: x `[n, in]` · weightᵀ (weight `[out, in]`) + bias `[out]` → `[n, out]`.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (x.shape.length !== 2) throw new ShapeError('linear input must be [N, in]', { x: x.shape });
  if (weight.shape.length !== 2 || weight.shape[1] !== x.shape[1]) {
    throw new ShapeError(`linear weight must be [out, ${x.shape[1]}]`, { x: x.shape, weight: weight.shape });
  }
  const y = matmul(x, weight, { transB: true });
  if (bias === undefined) return y;
  if (bias.shape.length !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new ShapeError(`linear bias must be [${weight.shape[0]}]`, { weight: weight.shape, bias: bias.shape });
  }
  return add(y, bias);
}
