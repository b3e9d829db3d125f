import { ShapeError } from '../core/errors.js';
import { shapesEqual, sizeOf, type Tensor } from '../core/tensor.js';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { batchStats } from '../ops/activations.js';
import { mean, variance } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { stopGradient } from '../ops/stop_gradient.js';

/** Shapes a per-channel vector `[C]` to broadcast against `[N, C, ...]`. */
export function channelView(v: Tensor, x: Tensor, what: string): Tensor {
  if (x.shape.length < 2) throw new ShapeError(`${what} needs an input [N, C, ...]`, { x: x.shape });
  const c = x.shape[1]!;
  if (v.shape.length !== 1 || v.shape[0] !== c) {
    throw new ShapeError(`${what} must be a per-channel vector [${c}]`, { x: x.shape, [what]: v.shape });
  }
  return reshape(v, [1, c, ...x.shape.slice(2).map(() => 1)]);
}

const affine = (xhat: Tensor, x: Tensor, gamma?: Tensor, beta?: Tensor): Tensor => {
  let y = xhat;
  if (gamma !== undefined) y = mul(y, channelView(gamma, x, 'gamma'));
  if (beta !== undefined) y = add(y, channelView(beta, x, 'beta'));
  return y;
};

export type BatchNormTrainResult = Readonly<{ y: Tensor; mean: Tensor; variance: Tensor; unbiasedVariance: Tensor }>;

/**
 * Batch norm in training mode, x `[N, C, ...]`: y = γ·(x − μ_B)/√(σ²_B + eps) + β with the
 * batch statistics over every axis but C (biased variance). Also returns μ_B `[C]`, σ²_B `[C]`
 * and the unbiased σ²_B·n/(n−1) that PyTorch puts into the running variance.
 */
export function batchNormTrain(x: Tensor, gamma: Tensor | undefined, beta: Tensor | undefined, eps = 1e-5): BatchNormTrainResult {
  if (x.shape.length < 2) throw new ShapeError('batch norm needs [N, C, ...]', { x: x.shape });
  const { mean: mu, variance: v } = batchStats(x);
  const xhat = div(sub(x, mu), sqrt(add(v, eps)));
  const c = x.shape[1]!;
  const n = sizeOf(x.shape) / c;
  const flatVar = reshape(v, [c]);
  return {
    y: affine(xhat, x, gamma, beta),
    mean: reshape(mu, [c]),
    variance: flatVar,
    unbiasedVariance: n > 1 ? mul(flatVar, n / (n - 1)) : flatVar,
  };
}

/**
 * PyTorch's running-statistic update r ← (1 − momentum)·r + momentum·s, `[C]` → `[C]`, with the
 * batch statistic s held constant (stopGradient): running statistics never carry a gradient.
 */
export function blendRunningStat(running: Tensor, batch: Tensor, opts: Readonly<{ momentum: number }>): Tensor {
  if (!shapesEqual(running.shape, batch.shape)) {
    throw new ShapeError('a running statistic and its batch statistic must have the same shape', { running: running.shape, batch: batch.shape });
  }
  return add(mul(running, 1 - opts.momentum), mul(stopGradient(batch), opts.momentum));
}

/** Batch norm in evaluation mode: normalises with the given running statistics `[C]`. */
export function batchNormEval(
  x: Tensor,
  gamma: Tensor | undefined,
  beta: Tensor | undefined,
  runningMean: Tensor,
  runningVar: Tensor,
  eps = 1e-5,
): Tensor {
  const xhat = div(sub(x, channelView(runningMean, x, 'runningMean')), sqrt(add(channelView(runningVar, x, 'runningVar'), eps)));
  return affine(xhat, x, gamma, beta);
}

/**
 * Instance norm, x `[N, C, H, W]`: each (n, c) plane normalised by its own mean and biased
 * variance, then the optional per-channel affine γ, β.
 */
export function instanceNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  if (x.shape.length < 3) throw new ShapeError('instance norm needs [N, C, spatial...]', { x: x.shape });
  const axes = x.shape.map((_, i) => i).slice(2);
  const mu = mean(x, { axis: axes, keepDims: true });
  const v = variance(x, { axis: axes, keepDims: true, correction: 0 });
  return affine(div(sub(x, mu), sqrt(add(v, eps))), x, gamma, beta);
}

/**
 * Layer norm over the trailing axes from `startAxis` (default 1), with optional elementwise
 * affine γ, β shaped like those axes.
 */
export function layerNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5, startAxis = 1): Tensor {
  const axes = x.shape.map((_, i) => i).slice(startAxis);
  const mu = mean(x, { axis: axes, keepDims: true });
  const v = variance(x, { axis: axes, keepDims: true, correction: 0 });
  let y = div(sub(x, mu), sqrt(add(v, eps)));
  if (gamma !== undefined) y = mul(y, gamma);
  if (beta !== undefined) y = add(y, beta);
  return y;
}
