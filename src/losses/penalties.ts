import { grad } from '../autodiff/reverse.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { uniform, type Key } from '../core/random.js';
import { shapesEqual, type Tensor } from '../core/tensor.js';
import { add, compare, mul, sqrt, square, sub, where } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';

/** A discriminator / critic as a function of its input batch, its parameters closed over. */
export type Critic = (x: Tensor) => Tensor;

const perSampleAxes = (x: Tensor): number[] => x.shape.map((_, i) => i).slice(1);

/** ∇ₓ Σᵢ D(x)ᵢ: per-sample input gradients `[N, ...]` (each sample only affects its own output). */
export function inputGradient(critic: Critic, x: Tensor): Tensor {
  return grad((xi: Tensor) => sum(critic(xi)))(x);
}

/** Per-sample squared L2 norms `[N]` of a batch `[N, ...]`. */
const sqNorms = (g: Tensor): Tensor => sum(square(g), { axis: perSampleAxes(g) });

/**
 * √s with PyTorch's subgradient 0 at s = 0 (the norm of a zero gradient): the "double where"
 * keeps sqrt's derivative 1/(2√s) away from s = 0, where 0·∞ would make the gradient NaN.
 */
function safeSqrt(s: Tensor): Tensor {
  const positive = compare(s, 0, 'gt');
  return where(positive, sqrt(where(positive, s, 1)), 0);
}

export type GradientPenaltyOptions = Readonly<{
  critic: Critic;
  real: Tensor;
  fake: Tensor;
  /** Interpolation weights α `[N, 1, ...]` (one per sample); drawn U(0, 1) from `key` if omitted. */
  alpha?: Tensor;
  key?: Key;
  /** The target gradient norm (1 in WGAN-GP). */
  target?: number;
}>;

/**
 * WGAN-GP's gradient penalty (Gulrajani et al. 2017): x̂ = α·x_real + (1 − α)·x_fake with one
 * α ~ U(0, 1) per sample, gp = mean_i (‖∇ₓD(x̂ᵢ)‖₂ − target)². Differentiating gp w.r.t. the
 * critic's parameters takes a second-order gradient, which `grad` provides. Returns the penalty
 * (scalar), the per-sample gradient norms `[N]` and ∇ₓD(x̂).
 */
export function gradientPenalty(o: GradientPenaltyOptions): { penalty: Tensor; gradNorms: Tensor; gradX: Tensor } {
  if (!shapesEqual(o.real.shape, o.fake.shape)) {
    throw new ShapeError('gradient penalty needs real and fake batches of the same shape', { real: o.real.shape, fake: o.fake.shape });
  }
  const n = o.real.shape[0] ?? 0;
  const alphaShape = [n, ...o.real.shape.slice(1).map(() => 1)];
  let alpha = o.alpha;
  if (alpha === undefined) {
    if (o.key === undefined) throw new ValueError('gradient penalty needs either alpha or a key to draw it');
    alpha = uniform(o.key, alphaShape);
  }
  if (!shapesEqual(alpha.shape, alphaShape)) {
    throw new ShapeError(`gradient penalty alpha must be [${alphaShape.join(', ')}]`, { alpha: alpha.shape, real: o.real.shape });
  }
  const xHat = add(mul(alpha, o.real), mul(sub(1, alpha), o.fake));
  const gradX = inputGradient(o.critic, xHat);
  const gradNorms = safeSqrt(sqNorms(gradX));
  const penalty = mean(square(sub(gradNorms, o.target ?? 1)));
  return { penalty, gradNorms, gradX };
}

/**
 * R1 regulariser (Mescheder et al. 2018): γ/2 · mean_i ‖∇ₓD(x_real,i)‖². Pass the fake batch
 * for R2. Second order in the critic's parameters, like the gradient penalty.
 */
export function r1Penalty(critic: Critic, x: Tensor, gamma = 10): Tensor {
  return mul(mean(sqNorms(inputGradient(critic, x))), gamma / 2);
}
