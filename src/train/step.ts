import { stopGradient, valueAndGrad } from '../autodiff/reverse.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { treeMap } from '../core/pytree.js';
import { shapesEqual, sizeOf, zeros, type Tensor } from '../core/tensor.js';
import { inputGradient, gradientPenalty } from '../losses/penalties.js';
import { refreshState } from '../nn/layer.js';
import { relu } from '../ops/activations.js';
import { add, clamp, mul, square, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { applyUpdates, globalNorm } from '../optim/transform.js';
import type { ValidTrainConfig } from './config.js';
import type { Metrics } from './metrics.js';
import { spectralSigmas } from './sigma.js';
import type { PlayerState, TrainState } from './state.js';
import { isFiniteScalar, selectTree } from './tree_select.js';

/**
 * The two halves of a GAN iteration as pure functions of (config, state, inputs), built from
 * tensor ops only: no `.data`, no `concrete()` and no host branch on a tensor's value, so a
 * later `jit` can trace them. Randomness (latents, interpolation weights) comes in explicitly.
 *
 * Non-finite handling: `finite` (0-d, 1 or 0) says whether the optimised loss and the gradient
 * norm are finite; every leaf of the new state is `where(finite, new, old)`, so a step that
 * meets NaN or ±∞ returns the state it was given, bit for bit, and NaN never reaches the params.
 */

export type DStepInputs = Readonly<{
  /** A real batch `[N, ...dataShape]`. */
  real: Tensor;
  /** Latents `[N, latent.dim]` for the fake batch. */
  z: Tensor;
  /** Interpolation weights of the gradient penalty, one per sample: `[N]` or `[N, 1, ...]`; needed with a penalty. */
  alpha?: Tensor;
}>;

export type GStepInputs = Readonly<{
  /** Latents `[N, latent.dim]`. */
  z: Tensor;
  /** A real batch, needed only by losses whose G part reads D(real) (relativistic). */
  real?: Tensor;
}>;

const TRAIN = { train: true } as const;

/** Per-sample axes of a batch `[N, ...]`. */
const sampleAxes = (x: Tensor): number[] => x.shape.map((_, i) => i).slice(1);

/** mean_i ‖∇ₓD(xᵢ)‖²: the unweighted R1 (on real data) or R2 (on fake data) term. */
function meanSquaredGradNorm(critic: (x: Tensor) => Tensor, x: Tensor): Tensor {
  const g = inputGradient(critic, x);
  return mean(sum(square(g), { axis: sampleAxes(g) }));
}

function checkBatch(what: string, x: Tensor, sample: readonly number[], n?: number): void {
  if (x.shape.length !== sample.length + 1 || !shapesEqual(x.shape.slice(1), sample) || (n !== undefined && x.shape[0] !== n)) {
    const want = `[${n ?? 'N'}, ${sample.join(', ')}]`;
    throw new ShapeError(`${what} must be ${want}`, { [what]: x.shape });
  }
}

/** α as `[N, 1, ...]` for a batch of rank r, from `[N]` or `[N, 1, ...]`. */
function alphaFor(alpha: Tensor | undefined, real: Tensor): Tensor {
  if (alpha === undefined) throw new ValueError('the gradient penalty needs interpolation weights: pass alpha ([N] or [N, 1, ...]) to dStep');
  const n = real.shape[0]!;
  if (alpha.shape[0] !== n || sizeOf(alpha.shape) !== n) {
    throw new ShapeError(`alpha must hold one weight per sample, [${n}] or [${n}, 1, ...]`, { alpha: alpha.shape, real: real.shape });
  }
  return reshape(alpha, [n, ...real.shape.slice(1).map(() => 1)]);
}

/**
 * One discriminator update:
 * 1. one power iteration per SN layer of D (`refreshState`), however often D is applied below;
 * 2. fake = stopGradient(G(z)) with G in train mode (its batch-norm statistics update);
 * 3. loss = d_loss(D(real), D(fake)) + Σ weight·penalty, D applied to real then fake with its
 *    layer state threaded through (the penalties' passes on x̂, real and fake use that state
 *    and do not update it); gradient penalty on x̂ = α·real + (1 − α)·fake per sample;
 *    R1 on real, R2 on fake;
 * 4. D's optimiser step, then weight clipping into [−c, c] if configured.
 *
 * Metrics: `d_loss` (adversarial part, without penalties), `gp`, `r1`, `r2` (unweighted, when
 * used), `grad_norm_d` (of the whole loss), `d_real`, `d_fake` (means of D's outputs),
 * `sigma/d.<path>` (σ of each SN layer of D with the refreshed vectors), `finite`.
 */
export function dStep(config: ValidTrainConfig, state: TrainState, inputs: DStepInputs): [TrainState, Metrics] {
  const { generator: G, discriminator: D } = config;
  checkBatch('real', inputs.real, config.dataShape);
  const n = inputs.real.shape[0]!;
  checkBatch('z', inputs.z, [config.latent.dim], n);
  const alpha = config.gradientPenalty ? alphaFor(inputs.alpha, inputs.real) : undefined;
  const dState = refreshState(D, state.d.params, state.d.state);
  const [fakeOut, gState] = G.apply(state.g.params, state.g.state, inputs.z, TRAIN);
  const fake = stopGradient(fakeOut);

  const loss = (params: unknown) => {
    const [realLogits, s1] = D.apply(params, dState, inputs.real, TRAIN);
    const [fakeLogits, s2] = D.apply(params, s1, fake, TRAIN);
    const critic = (x: Tensor): Tensor => D.apply(params, s2, x, TRAIN)[0];
    const adversarial = config.loss.d(realLogits, fakeLogits, { realLabel: config.realLabel });
    const terms: Record<string, Tensor> = {};
    let total = adversarial;
    const gpc = config.gradientPenalty;
    if (gpc !== undefined) {
      const { gradNorms } = gradientPenalty({ critic, real: inputs.real, fake, alpha: alpha! });
      const excess = sub(gradNorms, gpc.target);
      terms.gp = mean(square(gpc.oneSided ? relu(excess) : excess));
      total = add(total, mul(terms.gp, gpc.weight));
    }
    if (config.r1 !== undefined) {
      terms.r1 = meanSquaredGradNorm(critic, inputs.real);
      total = add(total, mul(terms.r1, config.r1.weight / 2));
    }
    if (config.r2 !== undefined) {
      terms.r2 = meanSquaredGradNorm(critic, fake);
      total = add(total, mul(terms.r2, config.r2.weight / 2));
    }
    return [total, { layerState: s2, realLogits, fakeLogits, adversarial, terms }] as const;
  };
  const [[total, aux], grads] = valueAndGrad(loss, { hasAux: true })(state.d.params);
  const gradNorm = globalNorm(grads);
  const [updates, opt] = config.optimizers.d.update(grads, state.d.opt, state.d.params);
  const updated = applyUpdates(state.d.params, updates);
  const clip = config.weightClip;
  const params = clip === undefined ? updated : treeMap((p) => (typeof p === 'number' ? p : clamp(p, -clip.c, clip.c)), updated);
  const finite = isFiniteScalar(add(total, gradNorm));
  const d: PlayerState = selectTree(finite, { params, state: aux.layerState, opt }, state.d);
  const g: PlayerState = selectTree(finite, { ...state.g, state: gState }, state.g);
  const metrics: Metrics = {
    d_loss: aux.adversarial,
    ...aux.terms,
    grad_norm_d: gradNorm,
    d_real: mean(aux.realLogits),
    d_fake: mean(aux.fakeLogits),
    ...spectralSigmas('d', dState),
    finite,
  };
  return [{ step: state.step, g, d }, metrics];
}

/**
 * One generator update: one power iteration per SN layer of G (none for D, whose vectors and
 * params are used as they are); fake = G(z) in train mode; loss = g_loss(D(real), D(fake))
 * with D in train mode (D's layer state threaded as in PyTorch; SN vectors do not change);
 * G's optimiser step. `real` is only evaluated for losses that read it (`gUsesReal`); others
 * get an empty batch in its place.
 *
 * Metrics: `g_loss`, `grad_norm_g`, `sigma/g.<path>` for each SN layer of G, `finite`.
 */
export function gStep(config: ValidTrainConfig, state: TrainState, inputs: GStepInputs): [TrainState, Metrics] {
  const { generator: G, discriminator: D } = config;
  checkBatch('z', inputs.z, [config.latent.dim]);
  const n = inputs.z.shape[0]!;
  let dState = state.d.state;
  let realLogits: Tensor | undefined;
  if (config.gUsesReal) {
    if (inputs.real === undefined) throw new ValueError('this loss reads D(real) in the G step: pass a real batch to gStep');
    checkBatch('real', inputs.real, config.dataShape, n);
    [realLogits, dState] = D.apply(state.d.params, dState, inputs.real, TRAIN);
  }
  const gState = refreshState(G, state.g.params, state.g.state);

  const loss = (params: unknown) => {
    const [fake, gNext] = G.apply(params, gState, inputs.z, TRAIN);
    const [fakeLogits, dNext] = D.apply(state.d.params, dState, fake, TRAIN);
    const real = realLogits ?? zeros([0, ...fakeLogits.shape.slice(1)]);
    return [config.loss.g(real, fakeLogits), { gNext, dNext }] as const;
  };
  const [[gLoss, aux], grads] = valueAndGrad(loss, { hasAux: true })(state.g.params);
  const gradNorm = globalNorm(grads);
  const [updates, opt] = config.optimizers.g.update(grads, state.g.opt, state.g.params);
  const params = applyUpdates(state.g.params, updates);
  const finite = isFiniteScalar(add(gLoss, gradNorm));
  const g: PlayerState = selectTree(finite, { params, state: aux.gNext, opt }, state.g);
  const d: PlayerState = selectTree(finite, { ...state.d, state: aux.dNext }, state.d);
  const metrics: Metrics = { g_loss: gLoss, grad_norm_g: gradNorm, ...spectralSigmas('g', gState), finite };
  return [{ step: state.step, g, d }, metrics];
}
