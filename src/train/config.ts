import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../core/errors.js';
import type { OptionKeys } from '../core/options.js';
import { key } from '../core/random.js';
import { shapesEqual } from '../core/tensor.js';
import { GAN_LOSS_NAMES, GAN_LOSSES, type GanLoss, type GanLossName } from '../losses/gan.js';
import type { AnyLayer } from '../nn/layer.js';
import { adam, adamax, adamw, rmsprop, sgd, type GradientTransformation } from '../optim/index.js';
import { parseScheduleSpec, type ScheduleSpec } from '../optim/schedule_spec.js';
import type { Schedule } from '../optim/transform.js';
import { layoutWidth, packedDiscriminator, resolveTechniques, type ResolvedTechniques, type Techniques } from './techniques.js';

/**
 * The configuration of a GAN training step, as the user writes it. `validateTrainConfig`
 * checks it (every problem at once) and resolves it into a `ValidTrainConfig`, which is what
 * `dStep` and `gStep` take; `makeTrainStep` and `initTrainState` accept either.
 */
export type TrainConfig = Techniques & Readonly<{
  /** z `[N, latent.dim]` → x `[N, ...dataShape]`. */
  generator: AnyLayer;
  /** x `[N, ...dataShape]` → raw outputs (logits for the BCE losses), averaged by the loss. */
  discriminator: AnyLayer;
  /** The latent prior: N(0, 1) or U(−1, 1) in each of `dim` coordinates. */
  latent: Readonly<{ dim: number; prior: 'normal' | 'uniform' }>;
  /** The per-sample shape of real data (no batch axis), e.g. `[1, 28, 28]`. */
  dataShape: readonly number[];
  /** A built-in loss (`GAN_LOSSES`) by name, or a user's loss. */
  loss: GanLossName | TrainLoss;
  regularizers?: Regularizers;
  /** D updates per iteration (5 in WGAN and WGAN-GP); default 1. */
  nDis?: number;
  /** `'d-first'` (default): nDis D updates, then one G update; `'g-first'`: the G update first. */
  order?: 'd-first' | 'g-first';
  /** Separate optimisers (TTUR is two learning rates): specs or any `GradientTransformation`. */
  optimizers: Readonly<{ g: OptimizerChoice; d: OptimizerChoice }>;
}>;

/**
 * A user's loss: a `GanLoss`, and whether its G part reads D(real) (its first argument), as the
 * relativistic loss does; only then does the G step evaluate D on a real batch.
 */
export type TrainLoss = GanLoss & Readonly<{ gUsesReal?: boolean }>;

export type Regularizers = Readonly<{
  /**
   * Gradient penalty on x̂ = α·real + (1 − α)·fake, one α ~ U(0, 1) and one norm per sample:
   * weight · mean_i (‖∇ₓD(x̂ᵢ)‖ − target)² (two-sided, WGAN-GP) or
   * weight · mean_i max(0, ‖∇ₓD(x̂ᵢ)‖ − target)² (`oneSided`). Target defaults to 1.
   */
  gradientPenalty?: Readonly<{ weight: number; target?: number; oneSided?: boolean }>;
  /** R1 (Mescheder et al. 2018) on real data: weight/2 · mean_i ‖∇ₓD(xᵢ)‖² (weight is their γ). */
  r1?: Readonly<{ weight: number }>;
  /** R2: the same on the fake batch. */
  r2?: Readonly<{ weight: number }>;
  /** WGAN weight clipping: every D parameter clamped into [−c, c] after D's update. */
  weightClip?: Readonly<{ c: number }>;
  /** One-sided label smoothing: the real target s ∈ (0, 1] of the BCE losses (0.9 is common). */
  labelSmoothing?: number;
}>;

/**
 * An optimiser by name and hyperparameters, resolved with the `optim` helpers; unlike a built
 * `GradientTransformation` it can be validated with the rest of the config (a negative learning
 * rate or a β outside [0, 1) is reported with the other problems) and serialised. A built
 * transformation is taken as it is: the `optim` helpers already reject a negative constant
 * learning rate when they are called, and a schedule's values cannot be checked ahead of time.
 */
export type OptimizerSpec =
  | Readonly<{ name: 'adam'; lr: LearningRate; b1?: number; b2?: number; eps?: number; epsRoot?: number }>
  | Readonly<{ name: 'adamw'; lr: LearningRate; b1?: number; b2?: number; eps?: number; weightDecay?: number }>
  | Readonly<{ name: 'adamax'; lr: LearningRate; b1?: number; b2?: number; eps?: number }>
  | Readonly<{ name: 'sgd'; lr: LearningRate; momentum?: number; nesterov?: boolean }>
  | Readonly<{ name: 'rmsprop'; lr: LearningRate; decay?: number; eps?: number }>;

/**
 * A spec's learning rate: a constant, or a schedule as data (`optim/schedule_spec.ts`) of the
 * optimiser's own update count — G's count is the iteration, D's is nDis updates per iteration.
 * The count is in the optimiser state, so a resumed run continues the schedule where it stopped.
 */
export type LearningRate = number | ScheduleSpec;

export type OptimizerChoice = OptimizerSpec | GradientTransformation<unknown>;

/** Each spec's transformation, from the `optim` helper of its name (which checks the options). */
type BuildSpec<N extends OptimizerSpec['name']> = Omit<Extract<OptimizerSpec, { name: N }>, 'lr'> & Readonly<{ lr: number | Schedule }>;

const BUILDERS: { readonly [N in OptimizerSpec['name']]: (spec: BuildSpec<N>) => GradientTransformation<unknown> } = {
  adam: ({ name: _, lr, ...opts }) => adam(lr, opts) as GradientTransformation<unknown>,
  adamw: ({ name: _, lr, ...opts }) => adamw(lr, opts) as GradientTransformation<unknown>,
  adamax: ({ name: _, lr, ...opts }) => adamax(lr, opts) as GradientTransformation<unknown>,
  sgd: ({ name: _, lr, ...opts }) => sgd(lr, opts) as GradientTransformation<unknown>,
  rmsprop: ({ name: _, lr, ...opts }) => rmsprop(lr, opts) as GradientTransformation<unknown>,
};

export const OPTIMIZER_NAMES = Object.keys(BUILDERS) as readonly OptimizerSpec['name'][];

/** A checked and resolved `TrainConfig`: defaults filled in, the loss and optimisers built. */
export type ValidTrainConfig = Readonly<{
  valid: true;
  generator: AnyLayer;
  discriminator: AnyLayer;
  latent: Readonly<{ dim: number; prior: 'normal' | 'uniform' }>;
  dataShape: readonly number[];
  loss: GanLoss;
  /** Whether the G step evaluates D(real) for the loss (relativistic, or a TrainLoss that says so). */
  gUsesReal: boolean;
  /** The target of real samples handed to the loss (`realLabel`): 1, or the smoothing target. */
  realLabel: number;
  gradientPenalty?: Readonly<{ weight: number; target: number; oneSided: boolean }>;
  r1?: Readonly<{ weight: number }>;
  r2?: Readonly<{ weight: number }>;
  weightClip?: Readonly<{ c: number }>;
  nDis: number;
  order: 'd-first' | 'g-first';
  optimizers: Readonly<{ g: GradientTransformation<unknown>; d: GradientTransformation<unknown> }>;
  /** Conditioning, ACGAN, InfoGAN, noisy labels, instance noise, replay, EMA, packing (`Techniques`), resolved. */
  techniques: ResolvedTechniques;
  /** G's input width: latent.dim plus InfoGAN's codes. */
  gInputDim: number;
}>;

const CONFIG_KEYS: OptionKeys<TrainConfig> = {
  generator: true, discriminator: true, latent: true, dataShape: true, loss: true, regularizers: true, nDis: true, order: true, optimizers: true,
  conditioning: true, acgan: true, infogan: true, noisyLabels: true, labelFlip: true, instanceNoise: true, replay: true, ema: true, pack: true, batchSize: true,
};
const REGULARIZER_KEYS: OptionKeys<Regularizers> = { gradientPenalty: true, r1: true, r2: true, weightClip: true, labelSmoothing: true };
const SPEC_KEYS: { readonly [N in OptimizerSpec['name']]: OptionKeys<Extract<OptimizerSpec, { name: N }>> } = {
  adam: { name: true, lr: true, b1: true, b2: true, eps: true, epsRoot: true },
  adamw: { name: true, lr: true, b1: true, b2: true, eps: true, weightDecay: true },
  adamax: { name: true, lr: true, b1: true, b2: true, eps: true },
  sgd: { name: true, lr: true, momentum: true, nesterov: true },
  rmsprop: { name: true, lr: true, decay: true, eps: true },
};

/** Reports every key of `obj` outside `keys` (a misspelt option would otherwise be ignored). */
function checkKeys(obj: object, keys: object, where: string, problems: string[]): void {
  const valid = Object.keys(keys);
  for (const k of Object.keys(obj)) if (!valid.includes(k)) problems.push(`${where}${where ? '.' : ''}${k}: unknown key; expected one of: ${valid.join(', ')}`);
}

/** The built-in losses that read `realLabel`, so one-sided label smoothing means something. */
const SMOOTHABLE: readonly GanLossName[] = ['minimax', 'nonsaturating'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isFn = (x: unknown): boolean => typeof x === 'function';
const isLayer = (x: unknown): x is AnyLayer => isObject(x) && isFn(x.init) && isFn(x.apply);
const isTransformation = (x: unknown): x is GradientTransformation<unknown> => isObject(x) && isFn(x.init) && isFn(x.update);
const isPositiveInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 1;
const isShape = (x: unknown): x is number[] => Array.isArray(x) && x.every(isPositiveInt);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function resolveOptimizer(choice: unknown, where: string, problems: string[]): GradientTransformation<unknown> | undefined {
  if (isTransformation(choice)) return choice;
  if (!isObject(choice) || typeof choice.name !== 'string') {
    problems.push(`${where}: expected an optimiser spec { name, lr, ... } or a GradientTransformation { init, update }`);
    return undefined;
  }
  const spec = choice as OptimizerSpec;
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(spec.name)) {
    problems.push(`${where}.name: unknown optimiser "${spec.name}"; expected one of: ${OPTIMIZER_NAMES.join(', ')}`);
    return undefined;
  }
  const before = problems.length;
  checkKeys(spec, SPEC_KEYS[spec.name], where, problems);
  if (problems.length > before) return undefined;
  let lr: number | Schedule;
  if (isObject(spec.lr)) {
    const schedule = parseScheduleSpec(spec.lr, `${where}.lr`);
    if (E.isLeft(schedule)) {
      problems.push(...schedule.left);
      return undefined;
    }
    lr = schedule.right;
  } else if (typeof spec.lr !== 'number' || !Number.isFinite(spec.lr) || spec.lr < 0) {
    problems.push(`${where}.lr: the learning rate must be a finite number >= 0, got ${String(spec.lr)} (or a schedule { schedule, ... })`);
    return undefined;
  } else lr = spec.lr;
  try {
    return BUILDERS[spec.name]({ ...spec, lr } as never);
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
  }
  return undefined;
}

function resolveLoss(loss: unknown, problems: string[]): GanLoss | undefined {
  if (typeof loss === 'string') {
    if (loss in GAN_LOSSES) return GAN_LOSSES[loss as GanLossName];
    problems.push(`loss: unknown GAN loss "${loss}"; expected one of: ${GAN_LOSS_NAMES.join(', ')}, or a GanLoss { d, g }`);
    return undefined;
  }
  if (isObject(loss) && isFn(loss.d) && isFn(loss.g)) return loss as GanLoss;
  problems.push('loss: expected a built-in loss name or a GanLoss { d(real, fake, opts), g(real, fake, opts) }');
  return undefined;
}

function checkWeight(x: unknown, where: string, problems: string[]): x is number {
  if (typeof x === 'number' && Number.isFinite(x) && x >= 0) return true;
  problems.push(`${where}: must be a finite number >= 0, got ${String(x)}`);
  return false;
}

/** Runs both layers' `init` on shapes: G's output must be the data shape D takes. */
function checkShapes(c: TrainConfig, t: ResolvedTechniques, problems: string[]): void {
  if (!isLayer(c.generator) || !isLayer(c.discriminator) || !isShape(c.dataShape) || !isObject(c.latent) || !isPositiveInt(c.latent.dim)) return;
  const gIn = c.latent.dim + t.codeDim;
  try {
    const out = c.generator.init(key(0), [gIn]).outputShape;
    if (!shapesEqual(out, c.dataShape)) {
      problems.push(`generator: its output per sample is ${fmt(out)} but dataShape (the discriminator's input) is ${fmt(c.dataShape)}`);
    }
  } catch (e) {
    problems.push(`generator: init on the latent shape [${gIn}] failed: ${(e as Error).message}`);
  }
  try {
    const out = packedDiscriminator(c.discriminator, t.pack).init(key(0), c.dataShape).outputShape;
    const width = layoutWidth(t.layout);
    if (width > 1 && !shapesEqual(out, [width])) {
      problems.push(`discriminator: with ACGAN/InfoGAN heads its output per sample must be [${width}] (1 logit, ${t.layout.classes} classes, ${t.layout.categorical.join('+') || 0} categorical, ${t.layout.continuous} continuous: withHeads), got ${fmt(out)}`);
    }
  } catch (e) {
    problems.push(`discriminator: init on dataShape ${fmt(c.dataShape)} failed: ${(e as Error).message}`);
  }
}

/**
 * Checks a training configuration before any step runs and resolves it (defaults, the loss by
 * name, optimiser specs into transformations). Lists every problem at once: an unknown loss or
 * optimiser, nDis < 1, a negative learning rate, G's output shape not D's input shape, a
 * smoothing target outside (0, 1], negative regulariser weights, and the techniques'
 * problems (`resolveTechniques`: noisy-label ranges outside [0, 1], an EMA decay outside
 * [0, 1), a pack size that does not divide `batchSize`, ACGAN without conditioning, a D whose
 * output does not fit the ACGAN/InfoGAN heads, and so on).
 */
export function validateTrainConfig(config: TrainConfig): E.Either<ConfigError, ValidTrainConfig> {
  const c = config as TrainConfig & Record<string, unknown>;
  const problems: string[] = [];
  checkKeys(c, CONFIG_KEYS, '', problems);
  if (!isLayer(c.generator)) problems.push('generator: expected a Layer { init, apply }');
  if (!isLayer(c.discriminator)) problems.push('discriminator: expected a Layer { init, apply }');
  const latent = isObject(c.latent) ? c.latent : undefined;
  if (latent === undefined) problems.push("latent: expected { dim, prior: 'normal' | 'uniform' }");
  else {
    if (!isPositiveInt(latent.dim)) problems.push(`latent.dim: must be an integer >= 1, got ${String(latent.dim)}`);
    if (latent.prior !== 'normal' && latent.prior !== 'uniform') problems.push(`latent.prior: expected 'normal' or 'uniform', got ${JSON.stringify(latent.prior)}`);
  }
  if (!isShape(c.dataShape)) problems.push(`dataShape: expected the per-sample shape as positive integers, got ${JSON.stringify(c.dataShape)}`);
  const loss = resolveLoss(c.loss, problems);
  const nDis = c.nDis ?? 1;
  if (!isPositiveInt(nDis)) problems.push(`nDis: must be an integer >= 1, got ${String(nDis)}`);
  const order = c.order ?? 'd-first';
  if (order !== 'd-first' && order !== 'g-first') problems.push(`order: expected 'd-first' or 'g-first', got ${JSON.stringify(order)}`);

  const reg: Regularizers = c.regularizers ?? {};
  checkKeys(reg, REGULARIZER_KEYS, 'regularizers', problems);
  if (reg.gradientPenalty !== undefined) checkKeys(reg.gradientPenalty, { weight: true, target: true, oneSided: true }, 'regularizers.gradientPenalty', problems);
  let gradientPenalty: ValidTrainConfig['gradientPenalty'];
  if (reg.gradientPenalty !== undefined) {
    const gp = reg.gradientPenalty;
    const target = gp.target ?? 1;
    const okWeight = checkWeight(gp.weight, 'regularizers.gradientPenalty.weight', problems);
    const okTarget = typeof target === 'number' && Number.isFinite(target) && target >= 0;
    if (!okTarget) problems.push(`regularizers.gradientPenalty.target: must be a finite norm >= 0, got ${String(target)}`);
    if (okWeight && okTarget) gradientPenalty = { weight: gp.weight, target, oneSided: gp.oneSided === true };
  }
  for (const r of ['r1', 'r2'] as const) {
    const w = reg[r];
    if (w !== undefined) checkWeight(w.weight, `regularizers.${r}.weight`, problems);
  }
  if (reg.weightClip !== undefined && !(typeof reg.weightClip.c === 'number' && Number.isFinite(reg.weightClip.c) && reg.weightClip.c > 0)) {
    problems.push(`regularizers.weightClip.c: must be a finite number > 0, got ${String(reg.weightClip.c)}`);
  }
  const s = reg.labelSmoothing;
  if (s !== undefined) {
    if (!(typeof s === 'number' && s > 0 && s <= 1)) problems.push(`regularizers.labelSmoothing: the real target must be in (0, 1], got ${String(s)}`);
    else if (typeof c.loss === 'string' && c.loss in GAN_LOSSES && !SMOOTHABLE.includes(c.loss as GanLossName)) {
      problems.push(`regularizers.labelSmoothing: the ${c.loss} loss has no real label to smooth; it applies to ${SMOOTHABLE.join(', ')}`);
    }
  }

  const opts = isObject(c.optimizers) ? c.optimizers : undefined;
  if (opts === undefined) problems.push('optimizers: expected { g, d }');
  const g = opts && resolveOptimizer(opts.g, 'optimizers.g', problems);
  const d = opts && resolveOptimizer(opts.d, 'optimizers.d', problems);
  const techniques = resolveTechniques(c, { loss: c.loss, problems });
  checkShapes(c, techniques, problems);

  if (problems.length > 0 || loss === undefined || g === undefined || d === undefined) return E.left(new ConfigError(problems));
  return E.right({
    valid: true,
    generator: c.generator,
    discriminator: packedDiscriminator(c.discriminator, techniques.pack),
    latent: { dim: c.latent.dim, prior: c.latent.prior },
    dataShape: [...c.dataShape],
    loss,
    gUsesReal: c.loss === 'relativistic' || (typeof c.loss === 'object' && c.loss.gUsesReal === true),
    realLabel: s ?? 1,
    ...(gradientPenalty ? { gradientPenalty } : {}),
    ...(reg.r1 ? { r1: { weight: reg.r1.weight } } : {}),
    ...(reg.r2 ? { r2: { weight: reg.r2.weight } } : {}),
    ...(reg.weightClip ? { weightClip: { c: reg.weightClip.c } } : {}),
    nDis,
    order,
    optimizers: { g, d },
    techniques,
    gInputDim: c.latent.dim + techniques.codeDim,
  });
}

/** A resolved config as is, or `validateTrainConfig`'s result; throws its ConfigError. */
export function resolveTrainConfig(config: TrainConfig | ValidTrainConfig): ValidTrainConfig {
  if ('valid' in config && config.valid === true) return config;
  const r = validateTrainConfig(config as TrainConfig);
  if (E.isLeft(r)) throw r.left;
  return r.right;
}
