import { ShapeError } from '../core/errors.js';
import { ones, zeros, type Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/activations.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { reshape } from '../ops/shape.js';
import { batchNormEval, batchNormTrain, blendRunningStat } from './functional.js';
import { requireLabels, type Layer } from './layer.js';
import type { BatchNormOptions, BatchNormState } from './norm.js';

/** γ and β per class, `[classes, C]`. */
export type ConditionalBatchNormParams = Readonly<{ weight: Tensor; bias: Tensor }>;

/**
 * Conditional batch norm (de Vries et al. 2017; the class-conditional G of SN-GAN and BigGAN):
 * x `[N, C, ...]` → y = γ[y_n]·x̂ + β[y_n], where x̂ is batch norm without affine (batch
 * statistics in training, running statistics in evaluation, updated exactly as `BatchNorm`'s,
 * shared by every class) and γ, β `[classes, C]` are rows picked by `ctx.labels`
 * (one-hot · table, so it traces). γ starts at 1 and β at 0. Needs `ctx.labels`.
 */
export function ConditionalBatchNorm(classes: number, opts: Omit<BatchNormOptions, 'affine'> = {}): Layer<ConditionalBatchNormParams, BatchNormState> {
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const name = `ConditionalBatchNorm(${classes})`;
  return {
    name,
    init(_key, inputShape) {
      const c = inputShape[0];
      if (c === undefined) throw new ShapeError(`${name} needs an input with a channel axis ([C, ...] per sample)`, { input: inputShape });
      return {
        params: { weight: ones([classes, c]), bias: zeros([classes, c]) },
        state: { runningMean: zeros([c]), runningVar: ones([c]) },
        outputShape: inputShape,
      };
    },
    apply(params, state, x, ctx) {
      const c = state.runningMean.shape[0]!;
      if (x.shape.length < 2 || x.shape[1] !== c) {
        throw new ShapeError(`${name} expects input [N, ${c}, ...], got [${x.shape.join(', ')}]`, { actual: x.shape });
      }
      const n = x.shape[0]!;
      const hot = oneHot(requireLabels(name, ctx, n), classes);
      const view = [n, c, ...x.shape.slice(2).map(() => 1)];
      const gamma = reshape(matmul(hot, params.weight), view);
      const beta = reshape(matmul(hot, params.bias), view);
      const modulate = (xhat: Tensor): Tensor => add(mul(xhat, gamma), beta);
      if (!ctx.train) return [modulate(batchNormEval(x, undefined, undefined, state.runningMean, state.runningVar, eps)), state];
      const r = batchNormTrain(x, undefined, undefined, eps);
      const runningMean = blendRunningStat(state.runningMean, r.mean, { momentum });
      const runningVar = blendRunningStat(state.runningVar, r.unbiasedVariance, { momentum });
      return [modulate(r.y), { runningMean, runningVar }];
    },
  };
}
