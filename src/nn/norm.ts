import { ShapeError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { ones, zeros, type Tensor } from '../core/tensor.js';
import { batchNormEval, batchNormTrain, blendRunningStat, instanceNorm, layerNorm } from './functional.js';
import { expectTensors, NO_STATE, type Layer, type NoState } from './layer.js';

export type AffineParams = Readonly<{ weight?: Tensor; bias?: Tensor }>;
export type BatchNormState = Readonly<{ runningMean: Tensor; runningVar: Tensor }>;

export type BatchNormOptions = Readonly<{ momentum?: number; eps?: number; affine?: boolean }>;

function channels(name: string, inputShape: readonly number[]): number {
  const c = inputShape[0];
  if (c === undefined) throw new ShapeError(`${name} needs an input with a channel axis ([C, ...] per sample)`, { input: inputShape });
  return c;
}

/**
 * Batch norm over `[N, C, ...]` (PyTorch's BatchNorm1d/2d): in training, normalises with the
 * batch mean and biased variance and returns running statistics updated as PyTorch does,
 * r ← (1 − momentum)·r + momentum·stat with the *unbiased* batch variance (momentum 0.1;
 * `blendRunningStat`);
 * in evaluation, normalises with the running statistics. Params γ (`weight`) = 1, β (`bias`) = 0
 * at init; running mean 0, running variance 1.
 */
export function BatchNorm(opts: BatchNormOptions = {}): Layer<AffineParams, BatchNormState> {
  checkOptions('BatchNorm', opts, { momentum: true, eps: true, affine: true });
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const name = 'BatchNorm';
  return {
    name,
    init(_key, inputShape) {
      const c = channels(name, inputShape);
      const params = opts.affine === false ? {} : { weight: ones([c]), bias: zeros([c]) };
      return { params, state: { runningMean: zeros([c]), runningVar: ones([c]) }, outputShape: inputShape };
    },
    apply(params, state, x, ctx) {
      expectTensors(name, 'params', params, []);
      expectTensors(name, 'state', state, ['runningMean', 'runningVar']);
      const c = state.runningMean.shape[0]!;
      if (x.shape.length < 2 || x.shape[1] !== c) {
        throw new ShapeError(`${name} expects input [N, ${c}, ...], got [${x.shape.join(', ')}]`, { actual: x.shape });
      }
      if (!ctx.train) return [batchNormEval(x, params.weight, params.bias, state.runningMean, state.runningVar, eps), state];
      const r = batchNormTrain(x, params.weight, params.bias, eps);
      const runningMean = blendRunningStat(state.runningMean, r.mean, { momentum });
      const runningVar = blendRunningStat(state.runningVar, r.unbiasedVariance, { momentum });
      return [r.y, { runningMean, runningVar }];
    },
  };
}

/**
 * Instance norm over `[N, C, H, W]`: each sample's channel normalised by its own statistics
 * (the same in training and evaluation; no running statistics). `affine` adds γ, β `[C]`.
 */
export function InstanceNorm(opts: Readonly<{ eps?: number; affine?: boolean }> = {}): Layer<AffineParams, NoState> {
  checkOptions('InstanceNorm', opts, { eps: true, affine: true });
  const eps = opts.eps ?? 1e-5;
  const name = 'InstanceNorm';
  return {
    name,
    init(_key, inputShape) {
      const c = channels(name, inputShape);
      const params = opts.affine ? { weight: ones([c]), bias: zeros([c]) } : {};
      return { params, state: NO_STATE, outputShape: inputShape };
    },
    apply(params, state, x) {
      expectTensors(name, 'params', params, []);
      return [instanceNorm(x, params.weight, params.bias, eps), state];
    },
  };
}

/** Layer norm over every axis but the batch: `[N, ...] → [N, ...]`, elementwise affine γ, β. */
export function LayerNorm(opts: Readonly<{ eps?: number; affine?: boolean }> = {}): Layer<AffineParams, NoState> {
  checkOptions('LayerNorm', opts, { eps: true, affine: true });
  const eps = opts.eps ?? 1e-5;
  return {
    name: 'LayerNorm',
    init(_key, inputShape) {
      const params = opts.affine === false ? {} : { weight: ones(inputShape), bias: zeros(inputShape) };
      return { params, state: NO_STATE, outputShape: inputShape };
    },
    apply(params, state, x) {
      expectTensors('LayerNorm', 'params', params, []);
      return [layerNorm(x, params.weight, params.bias, eps), state];
    },
  };
}
