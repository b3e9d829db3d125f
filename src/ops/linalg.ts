import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { add } from './elementwise.js';
import { reshape, slice } from './shape.js';

export type MatmulOptions = Readonly<{ transA?: boolean; transB?: boolean }>;

/**
 * Matrix product of 2-D tensors: op(a) `[m, k]` · op(b) `[k, n]` → `[m, n]`, where op
 * transposes when `transA` / `transB` is set (no copy is made).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  checkOptions('matmul', opts, { transA: true, transB: true });
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

export type PowerIterationStep = Readonly<{ u: Tensor; v: Tensor; sigma: Tensor }>;

/**
 * One spectral-norm power-iteration step on W `[rows, cols]` from u `[rows]` (PyTorch's
 * spectral_norm): v = normalise(Wᵀu) `[cols]`, u' = normalise(W v) `[rows]`, σ = u'ᵀ W v (0-d),
 * with normalise(z) = z / max(‖z‖₂, eps). One backend kernel call; no gradient flows to W or u.
 */
export function powerIterationStep(w: Tensor, u: Tensor, opts: Readonly<{ eps?: number }> = {}): PowerIterationStep {
  if (w.shape.length !== 2) throw new ShapeError('power iteration needs a matrix W [rows, cols]', { w: w.shape });
  const [rows, cols] = w.shape as [number, number];
  if (u.shape.length !== 1 || u.shape[0] !== rows) throw new ShapeError(`power iteration u must be [${rows}]`, { w: w.shape, u: u.shape });
  const eps = opts.eps ?? 1e-12;
  if (!(eps > 0)) throw new ValueError(`power iteration eps must be > 0, got ${eps}`);
  const packed = bind('powerIteration', [w, u], { eps });
  return {
    u: slice(packed, [0], [rows]),
    v: slice(packed, [rows], [rows + cols]),
    sigma: reshape(slice(packed, [rows + cols]), []),
  };
}
