import { vjp, vjpWithAux, grad } from '../autodiff/reverse.js';
import { UnsupportedError, ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { gradientPenalty, r1Penalty, type Critic } from '../losses/penalties.js';
import { instanceNorm } from '../nn/functional.js';
import { BatchNorm, type BatchNormState } from '../nn/norm.js';
import { powerIterate, spectralNormalize } from '../nn/spectral.js';
import { leakyRelu, relu } from '../ops/activations.js';
import { conv2d, convTranspose2d, avgPool2d, pixelShuffle, upsampleNearest } from '../ops/conv.js';
import { mul, sigmoid, softplus, tanh } from '../ops/elementwise.js';
import { linear } from '../ops/linalg.js';
import { concat, flatten } from '../ops/shape.js';
import { ganLoss } from '../losses/gan.js';
import { adam, adamL2, adamax, adamw, optimizerStep, rmsprop, sgd, type GradientTransformation } from '../optim/index.js';
import type { ReferenceCase } from './cases.js';
import { runGanStepCase } from './gan_step.js';
import type { Tolerance } from './compare.js';
import { metricRunners } from './metric_runners.js';

/**
 * What a runner computed for a case: outputs and gradients keyed as in the case file, and the
 * tolerance to compare them with when the float32 default does not fit (float64 metrics).
 */
export type CaseResult = Readonly<{ outputs: Record<string, Tensor>; grads: Record<string, Tensor>; tolerance?: Tolerance }>;

/** How a case runs: `jit` stages whole training steps (gan_step) through `jit`. */
export type RunOptions = Readonly<{ jit?: boolean }>;

export type Runner = (c: ReferenceCase, opts: RunOptions) => CaseResult;

function input(c: ReferenceCase, name: string): Tensor {
  const t = c.inputs[name];
  if (t === undefined) throw new ValueError(`case ${c.name} (${c.op}) has no input "${name}"`);
  return t;
}

function num(c: ReferenceCase, name: string, fallback?: number): number {
  const v = c.attrs[name] ?? fallback;
  if (typeof v !== 'number') throw new ValueError(`case ${c.name} (${c.op}) needs a numeric attrs.${name}`);
  return v;
}

/**
 * y = f(inputs) and, when the case has an `upstream`, d(Σ y·upstream)/d(each differentiable
 * input) via one vjp — the convention of the reference files.
 */
function withUpstream(c: ReferenceCase, names: readonly string[], f: (xs: Record<string, Tensor>) => Tensor): CaseResult {
  const primals = Object.fromEntries(names.map((n) => [n, input(c, n)]));
  const [y, pullback] = vjp(f, primals);
  const upstream = c.inputs.upstream;
  const grads = upstream === undefined ? {} : pullback(upstream);
  return { outputs: { y }, grads };
}

const elementwise =
  (f: (x: Tensor, c: ReferenceCase) => Tensor): Runner =>
  (c) =>
    withUpstream(c, ['x'], ({ x }) => f(x!, c));

/** The reference discriminators of the penalty cases: mlp and conv (see the reference README). */
function referenceCritic(c: ReferenceCase, p: Record<string, Tensor>): Critic {
  const slope = num(c, 'leaky_slope', 0.2);
  const kind = c.attrs.discriminator;
  if (kind === 'mlp') return (x) => linear(leakyRelu(linear(x, p.w1!, p.b1), slope), p.w2!, p.b2);
  if (kind === 'conv') {
    return (x) => linear(flatten(leakyRelu(conv2d(x, p.w1!, p.b1, { stride: 2, padding: 1 }), slope)), p.w2!, p.b2);
  }
  throw new UnsupportedError(`unknown reference discriminator ${String(kind)}`);
}

const paramNames = ['w1', 'b1', 'w2', 'b2'] as const;
const criticParams = (c: ReferenceCase): Record<string, Tensor> => Object.fromEntries(paramNames.map((n) => [n, input(c, n)]));

const runners: Readonly<Record<string, Runner>> = {
  linear: (c) => withUpstream(c, ['x', 'weight', 'bias'], ({ x, weight, bias }) => linear(x!, weight!, bias)),
  conv2d: (c) =>
    withUpstream(c, ['x', 'weight', 'bias'], ({ x, weight, bias }) =>
      conv2d(x!, weight!, bias, { stride: num(c, 'stride', 1), padding: num(c, 'padding', 0), dilation: num(c, 'dilation', 1) }),
    ),
  conv_transpose2d: (c) =>
    withUpstream(c, ['x', 'weight', 'bias'], ({ x, weight, bias }) =>
      convTranspose2d(x!, weight!, bias, {
        stride: num(c, 'stride', 1),
        padding: num(c, 'padding', 0),
        outputPadding: num(c, 'output_padding', 0),
        dilation: num(c, 'dilation', 1),
      }),
    ),
  relu: elementwise((x) => relu(x)),
  leaky_relu: elementwise((x, c) => leakyRelu(x, num(c, 'negative_slope', 0.01))),
  sigmoid: elementwise((x) => sigmoid(x)),
  tanh: elementwise((x) => tanh(x)),
  softplus: elementwise((x) => softplus(x)),
  avg_pool2d: elementwise((x, c) => avgPool2d(x, num(c, 'kernel'))),
  upsample_nearest2x: elementwise((x, c) => upsampleNearest(x, num(c, 'scale', 2))),
  pixel_shuffle: elementwise((x, c) => pixelShuffle(concat([x, mul(x, 0.5), mul(x, -1), mul(x, 2)], 1), num(c, 'upscale'))),
  instance_norm: (c) =>
    withUpstream(c, ['x', 'gamma', 'beta'], ({ x, gamma, beta }) => instanceNorm(x!, gamma, beta, num(c, 'eps', 1e-5))),
  batch_norm: batchNormCase,
  spectral_norm: (c) => {
    const w = input(c, 'weight');
    const eps = num(c, 'eps', 1e-12);
    const it = powerIterate(w, input(c, 'u0'), { steps: num(c, 'power_iterations', 1), eps });
    const converged = powerIterate(w, input(c, 'u0'), { steps: 500, eps });
    const r = withUpstream(c, ['weight'], ({ weight }) => spectralNormalize(weight!, it));
    return {
      outputs: { sigma: it.sigma, u: it.u, v: it.v, weight_sn: r.outputs.y!, true_sigma: converged.sigma },
      grads: r.grads,
    };
  },
  gradient_penalty: (c) => {
    const common = { real: input(c, 'x_real'), fake: input(c, 'x_fake'), alpha: input(c, 'eps'), target: num(c, 'target_norm', 1) };
    const run = (p: Record<string, Tensor>): Tensor => gradientPenalty({ critic: referenceCritic(c, p), ...common }).penalty;
    const params = criticParams(c);
    const { penalty, gradX } = gradientPenalty({ critic: referenceCritic(c, params), ...common });
    return { outputs: { gp: penalty, grad_x: gradX }, grads: grad(run)(params) };
  },
  gan_loss: lossCase,
  gan_step: runGanStepCase,
  optimizer: optimizerCase,
  r1_penalty: (c) => {
    const x = input(c, 'x_real');
    const gamma = num(c, 'gamma', 10);
    const run = (p: Record<string, Tensor>): Tensor => r1Penalty(referenceCritic(c, p), x, gamma);
    const params = criticParams(c);
    return { outputs: { r1: run(params) }, grads: grad(run)(params) };
  },
  ...metricRunners,
};

/**
 * Batch norm through the BatchNorm *layer*: y and the gradients from `apply`, and in training
 * the running statistics of the state it returns (started from the case's running_mean/var).
 */
function batchNormCase(c: ReferenceCase): CaseResult {
  const train = c.attrs.training === true;
  const layer = BatchNorm({ eps: num(c, 'eps', 1e-5), momentum: num(c, 'momentum', 0.1) });
  const state: BatchNormState = { runningMean: input(c, 'running_mean'), runningVar: input(c, 'running_var') };
  const primals = { x: input(c, 'x'), gamma: input(c, 'gamma'), beta: input(c, 'beta') };
  const [y, pullback, next] = vjpWithAux(
    ({ x, gamma, beta }: typeof primals) => layer.apply({ weight: gamma, bias: beta }, state, x, { train }),
    primals,
  );
  const stats: Record<string, Tensor> = train ? { running_mean: next.runningMean, running_var: next.runningVar } : {};
  const upstream = c.inputs.upstream;
  return { outputs: { y, ...stats }, grads: upstream === undefined ? {} : pullback(upstream) };
}

/** `hinge_d`, `minimax_d_smooth09`, ... → the loss, which player, and label smoothing. */
function lossCase(c: ReferenceCase): CaseResult {
  const m = /^(.*)_(d|g)(?:_smooth(\d+))?$/.exec(String(c.attrs.loss));
  if (m === null) throw new UnsupportedError(`unknown loss ${String(c.attrs.loss)}`);
  const [, name, player, smooth] = m;
  const loss = ganLoss(name!);
  const realLabel = smooth === undefined ? 1 : Number(smooth.replace(/^0/, '0.')); // smooth09 → 0.9
  const f = ({ real_logits, fake_logits }: Record<string, Tensor>): Tensor =>
    player === 'd' ? loss.d(real_logits!, fake_logits!, { realLabel }) : loss.g(real_logits!, fake_logits!);
  const inputs = { real_logits: input(c, 'real_logits'), fake_logits: input(c, 'fake_logits') };
  return { outputs: { loss: f(inputs) }, grads: grad(f)(inputs) };
}

/** PyTorch optimiser settings → the equivalent gradient transformation. */
function optimizerOf(c: ReferenceCase): GradientTransformation<unknown> {
  const a = c.attrs;
  const lr = num(c, 'lr');
  const betas = (a.betas as [number, number] | undefined) ?? [0.9, 0.999];
  const eps = num(c, 'eps', 1e-8);
  const wd = num(c, 'weight_decay', 0);
  switch (a.optimizer) {
    case 'Adam':
      return wd === 0 ? adam(lr, { b1: betas[0], b2: betas[1], eps }) : adamL2(lr, { b1: betas[0], b2: betas[1], eps, weightDecay: wd });
    case 'AdamW':
      return adamw(lr, { b1: betas[0], b2: betas[1], eps, weightDecay: wd });
    case 'Adamax':
      return adamax(lr, { b1: betas[0], b2: betas[1], eps });
    case 'RMSprop':
      if (a.centered === true || num(c, 'momentum', 0) !== 0) throw new UnsupportedError('centered or momentum RMSprop');
      return rmsprop(lr, { decay: num(c, 'alpha', 0.99), eps });
    case 'SGD':
      if (num(c, 'dampening', 0) !== 0) throw new UnsupportedError('SGD with dampening');
      return sgd(lr, { momentum: num(c, 'momentum', 0), nesterov: a.nesterov === true }) as GradientTransformation<unknown>;
    default:
      throw new UnsupportedError(`optimizer ${String(a.optimizer)}`);
  }
}

function optimizerCase(c: ReferenceCase): CaseResult {
  const opt = optimizerOf(c);
  let p = input(c, 'param0');
  let state = opt.init(p);
  const outputs: Record<string, Tensor> = {};
  for (let t = 1; c.inputs[`grad_${t}`] !== undefined; t++) {
    [p, state] = optimizerStep(opt, { grads: input(c, `grad_${t}`), state, params: p });
    outputs[`param_after_${t}`] = p;
  }
  return { outputs, grads: {} };
}

/** The ops this project can check; others are reported as unsupported. */
export const supportedOps = (): string[] => Object.keys(runners).sort();

/** Runs a case; throws UnsupportedError for an op without a runner. */
export function runCase(c: ReferenceCase, opts: RunOptions = {}): CaseResult {
  const r = runners[c.op];
  if (r === undefined) throw new UnsupportedError(`op "${c.op}" is not supported yet`);
  return r(c, opts);
}
