import { stopGradient, valueAndGrad } from '../autodiff/reverse.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { treeMap } from '../core/pytree.js';
import { shapesEqual, sizeOf, zeros, type Tensor } from '../core/tensor.js';
import { inputGradient, gradientPenalty } from '../losses/penalties.js';
import { split, type Key } from '../core/random.js';
import { refreshState, type Ctx } from '../nn/layer.js';
import { relu } from '../ops/activations.js';
import { add, asTensor, clamp, mul, square, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape, slice } from '../ops/shape.js';
import { emaUpdate } from './ema.js';
import { accuracy, auxiliaryLoss, infoLoss, splitOutputs } from './heads.js';
import { replayMix, replayPush } from './replay.js';
import { bceWithTargets, type Targets } from './targets.js';
import { globalNorm, optimizerStep } from '../optim/transform.js';
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
  /** Conditioning: the real batch's class ids `[N]` and the fake batch's `[N]` (G's and D's `ctx.labels`). */
  labels?: Tensor;
  fakeLabels?: Tensor;
  /** Noisy labels / label flipping: per-sample BCE targets, one per D output row. */
  targets?: Targets;
  /** Instance noise: N(0, 1) draws shaped like the real and the fake batch (scaled by σ(step)). */
  noise?: Readonly<{ real: Tensor; fake: Tensor }>;
  /** Replay: U(0, 1) draws `[round(fraction·N)]` picking the replayed fakes. */
  replayPick?: Tensor;
  /** A key for layers that draw (DiffAugment, dropout): split for G and for D on real, fake and penalties. */
  key?: Key;
}>;

export type GStepInputs = Readonly<{
  /** Latents `[N, latent.dim]` (plus InfoGAN's codes). */
  z: Tensor;
  /** A real batch, needed only by losses whose G part reads D(real) (relativistic). */
  real?: Tensor;
  /** Conditioning: the class ids `[N]` of the fakes (and `realLabels` of `real`). */
  labels?: Tensor;
  realLabels?: Tensor;
  /** Instance noise: an N(0, 1) draw shaped like the fake batch. */
  noise?: Tensor;
  /** A key for layers that draw: split for G, for D on the fakes and on `real`. */
  key?: Key;
}>;

/** The call context of a training-mode application: the labels of the batch and a key, where there are. */
function trainCtx(key: Key | undefined, labels: Tensor | undefined): Ctx {
  return { train: true, ...(key ? { key } : {}), ...(labels ? { labels } : {}) };
}

/** x + σ·ε, or x without instance noise. */
const noisy = (x: Tensor, sigma: Tensor | undefined, eps: Tensor | undefined): Tensor => (sigma === undefined || eps === undefined ? x : add(x, mul(eps, sigma)));

/** σ(step) of the instance-noise schedule as a 0-d tensor, or undefined without it. */
function noiseSigma(config: ValidTrainConfig, step: Tensor, eps: unknown): Tensor | undefined {
  const sched = config.techniques.instanceNoise;
  if (sched === undefined) return undefined;
  if (eps === undefined) throw new ValueError('instance noise needs N(0, 1) draws: pass noise to the step');
  return asTensor(sched(step));
}

function need<T>(x: T | undefined, what: string): T {
  if (x === undefined) throw new ValueError(`this config needs ${what}`);
  return x;
}

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
 * With the techniques (`config.techniques`): G and D get `ctx.labels` (fake labels for G and
 * for D on the fakes, real labels for D on real) and a split of `key`; the fake batch is mixed
 * with the replay buffer, which then takes the fresh fakes; D's inputs get σ(step)·noise; the
 * adversarial loss uses per-sample `targets` when given; ACGAN's and InfoGAN's terms are added
 * with their weights (Q, a head of D, is updated here by D's optimiser). D's output is cut into
 * its columns (`splitOutputs`): the losses and penalties read the adversarial column.
 *
 * Metrics: `d_loss` (adversarial part, without penalties), `gp`, `r1`, `r2` (unweighted, when
 * used), `grad_norm_d` (of the whole loss), `d_real`, `d_fake` (means of D's outputs),
 * `acgan_acc_real`, `acgan_acc_fake` (ACGAN's classifier's accuracy on real and fake labels),
 * `sigma/d.<path>` (σ of each SN layer of D with the refreshed vectors), `finite`.
 */
export function dStep(config: ValidTrainConfig, state: TrainState, inputs: DStepInputs): [TrainState, Metrics] {
  const { generator: G, discriminator: D } = config;
  const t = config.techniques;
  checkBatch('real', inputs.real, config.dataShape);
  const n = inputs.real.shape[0]!;
  checkBatch('z', inputs.z, [config.gInputDim], n);
  const alpha = config.gradientPenalty ? alphaFor(inputs.alpha, inputs.real) : undefined;
  const labels = t.classes !== undefined ? need(inputs.labels, 'the real labels (labels) in the D step') : undefined;
  const fakeLabels = t.classes !== undefined ? need(inputs.fakeLabels, 'the fake labels (fakeLabels) in the D step') : undefined;
  const sigma = noiseSigma(config, state.step, inputs.noise);
  const [kg, kr, kf, kc] = inputs.key ? split(inputs.key, 4) : [];
  const dState = refreshState(D, state.d.params, state.d.state);
  const [fakeOut, gState] = G.apply(state.g.params, state.g.state, inputs.z, trainCtx(kg, fakeLabels));
  const fresh = stopGradient(fakeOut);
  const buffer = t.replay !== undefined ? need(state.replay, 'a replay buffer in the train state (initTrainState makes one)') : undefined;
  const fake = buffer === undefined ? fresh : replayMix(buffer, fresh, need(inputs.replayPick, 'replayPick draws for the replay buffer'));
  const realIn = noisy(inputs.real, sigma, inputs.noise?.real);
  const fakeIn = noisy(fake, sigma, inputs.noise?.fake);
  const codes = t.infogan ? slice(inputs.z, [0, config.latent.dim]) : undefined;

  const loss = (params: unknown) => {
    const [realRaw, s1] = D.apply(params, dState, realIn, trainCtx(kr, labels));
    const [fakeRaw, s2] = D.apply(params, s1, fakeIn, trainCtx(kf, fakeLabels));
    const real = splitOutputs(realRaw, t.layout);
    const fakeO = splitOutputs(fakeRaw, t.layout);
    const critic = (y: Tensor | undefined) => (x: Tensor): Tensor => splitOutputs(D.apply(params, s2, x, trainCtx(kc, y))[0], t.layout).adv;
    const adversarial =
      inputs.targets !== undefined
        ? add(bceWithTargets(real.adv, inputs.targets.real), bceWithTargets(fakeO.adv, inputs.targets.fake))
        : config.loss.d(real.adv, fakeO.adv, { realLabel: config.realLabel });
    const terms: Record<string, Tensor> = {};
    let total = adversarial;
    const gpc = config.gradientPenalty;
    if (gpc !== undefined) {
      const { gradNorms } = gradientPenalty({ critic: critic(labels), real: realIn, fake: fakeIn, alpha: alpha! });
      const excess = sub(gradNorms, gpc.target);
      terms.gp = mean(square(gpc.oneSided ? relu(excess) : excess));
      total = add(total, mul(terms.gp, gpc.weight));
    }
    if (config.r1 !== undefined) {
      terms.r1 = meanSquaredGradNorm(critic(labels), realIn);
      total = add(total, mul(terms.r1, config.r1.weight / 2));
    }
    if (config.r2 !== undefined) {
      terms.r2 = meanSquaredGradNorm(critic(fakeLabels), fakeIn);
      total = add(total, mul(terms.r2, config.r2.weight / 2));
    }
    if (t.acganWeight !== undefined) {
      const onFake = t.acganFakeWeight ?? 1;
      const onReal = auxiliaryLoss(real.classes!, labels!);
      terms.acgan_d = onFake === 0 ? onReal : add(onReal, mul(auxiliaryLoss(fakeO.classes!, fakeLabels!), onFake));
      terms.acgan_acc_real = accuracy(real.classes!, labels!);
      terms.acgan_acc_fake = accuracy(fakeO.classes!, fakeLabels!);
      total = add(total, mul(terms.acgan_d, t.acganWeight));
    }
    if (t.infogan !== undefined) {
      terms.info_d = infoLoss(fakeO, codes!, t.layout);
      total = add(total, mul(terms.info_d, t.infogan.weight));
    }
    return [total, { layerState: s2, realLogits: real.adv, fakeLogits: fakeO.adv, adversarial, terms }] as const;
  };
  const [[total, aux], grads] = valueAndGrad(loss, { hasAux: true })(state.d.params);
  const gradNorm = globalNorm(grads);
  const [updated, opt] = optimizerStep(config.optimizers.d, { grads, state: state.d.opt, params: state.d.params });
  const clip = config.weightClip;
  const params = clip === undefined ? updated : treeMap((p) => (typeof p === 'number' ? p : clamp(p, -clip.c, clip.c)), updated);
  const finite = isFiniteScalar(add(total, gradNorm));
  const d: PlayerState = selectTree(finite, { params, state: aux.layerState, opt }, state.d);
  const g: PlayerState = selectTree(finite, { ...state.g, state: gState }, state.g);
  const replay = buffer === undefined ? {} : { replay: selectTree(finite, replayPush(buffer, fresh), buffer) };
  const { acgan_acc_real: acc, acgan_acc_fake: accFake, ...lossTerms } = aux.terms;
  const metrics: Metrics = {
    d_loss: aux.adversarial,
    ...lossTerms,
    grad_norm_d: gradNorm,
    d_real: mean(aux.realLogits),
    d_fake: mean(aux.fakeLogits),
    ...(acc ? { acgan_acc_real: acc } : {}),
    ...(accFake ? { acgan_acc_fake: accFake } : {}),
    ...(sigma ? { instance_noise: sigma } : {}),
    ...spectralSigmas('d', dState),
    finite,
  };
  return [{ ...state, g, d, ...replay }, metrics];
}

/**
 * One generator update: one power iteration per SN layer of G (none for D, whose vectors and
 * params are used as they are); fake = G(z) in train mode; loss = g_loss(D(real), D(fake))
 * with D in train mode (D's layer state threaded as in PyTorch; SN vectors do not change);
 * G's optimiser step. `real` is only evaluated for losses that read it (`gUsesReal`); others
 * get an empty batch in its place. With the techniques: G and D get the fake labels; D's input
 * gets σ(step)·noise; ACGAN's and InfoGAN's G terms are added; the EMA copy is updated from the
 * new params (`emaUpdate`).
 *
 * Metrics: `g_loss`, `grad_norm_g`, `sigma/g.<path>` for each SN layer of G, `finite`.
 */
export function gStep(config: ValidTrainConfig, state: TrainState, inputs: GStepInputs): [TrainState, Metrics] {
  const { generator: G, discriminator: D } = config;
  const t = config.techniques;
  checkBatch('z', inputs.z, [config.gInputDim]);
  const n = inputs.z.shape[0]!;
  const labels = t.classes !== undefined ? need(inputs.labels, 'the fake labels (labels) in the G step') : undefined;
  const sigma = noiseSigma(config, state.step, inputs.noise);
  const [kg, kf, kr] = inputs.key ? split(inputs.key, 3) : [];
  let dState = state.d.state;
  let realLogits: Tensor | undefined;
  if (config.gUsesReal) {
    if (inputs.real === undefined) throw new ValueError('this loss reads D(real) in the G step: pass a real batch to gStep');
    checkBatch('real', inputs.real, config.dataShape, n);
    const realLabels = t.classes !== undefined ? need(inputs.realLabels, 'the real labels (realLabels) in the G step') : undefined;
    const [raw, s1] = D.apply(state.d.params, dState, noisy(inputs.real, sigma, inputs.noise), trainCtx(kr, realLabels));
    [realLogits, dState] = [splitOutputs(raw, t.layout).adv, s1];
  }
  const gState = refreshState(G, state.g.params, state.g.state);
  const codes = t.infogan ? slice(inputs.z, [0, config.latent.dim]) : undefined;

  const loss = (params: unknown) => {
    const [fake, gNext] = G.apply(params, gState, inputs.z, trainCtx(kg, labels));
    const [raw, dNext] = D.apply(state.d.params, dState, noisy(fake, sigma, inputs.noise), trainCtx(kf, labels));
    const out = splitOutputs(raw, t.layout);
    const real = realLogits ?? zeros([0, ...out.adv.shape.slice(1)]);
    const terms: Record<string, Tensor> = {};
    let total = config.loss.g(real, out.adv);
    const adversarial = total;
    if (t.acganWeight !== undefined) {
      terms.acgan_g = auxiliaryLoss(out.classes!, labels!);
      total = add(total, mul(terms.acgan_g, t.acganWeight));
    }
    if (t.infogan !== undefined) {
      terms.info_g = infoLoss(out, codes!, t.layout);
      total = add(total, mul(terms.info_g, t.infogan.weight));
    }
    return [total, { gNext, dNext, adversarial, terms }] as const;
  };
  const [[gLoss, aux], grads] = valueAndGrad(loss, { hasAux: true })(state.g.params);
  const gradNorm = globalNorm(grads);
  const [params, opt] = optimizerStep(config.optimizers.g, { grads, state: state.g.opt, params: state.g.params });
  const finite = isFiniteScalar(add(gLoss, gradNorm));
  const g: PlayerState = selectTree(finite, { params, state: aux.gNext, opt }, state.g);
  const d: PlayerState = selectTree(finite, { ...state.d, state: aux.dNext }, state.d);
  const ema =
    t.ema === undefined
      ? {}
      : { ema: selectTree(finite, emaUpdate(need(state.ema, 'an EMA copy in the train state (initTrainState makes one)'), params, { ...t.ema, step: state.step }), state.ema!) };
  const metrics: Metrics = { g_loss: aux.adversarial, ...aux.terms, grad_norm_g: gradNorm, ...spectralSigmas('g', gState), finite };
  return [{ ...state, g, d, ...ema }, metrics];
}
