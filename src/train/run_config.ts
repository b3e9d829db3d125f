import * as E from 'fp-ts/lib/Either.js';
import { ConfigError } from '../core/errors.js';
import { parseLayerSpecs } from '../conformance/layer_specs.js';
import { GAN_LOSS_NAMES, type GanLossName } from '../losses/gan.js';
import { withHeads } from '../nn/heads.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import { validateTrainConfig, type OptimizerSpec, type Regularizers, type ValidTrainConfig } from './config.js';

/**
 * A training run as plain JSON data: what a preset is, what `--config FILE.json` overrides and
 * what the run directory's `config.json` holds (fully resolved). The networks are lists of
 * layer specs (`{ type, ...fields }`, the same specs as the PyTorch step cases, see
 * `conformance/layer_specs.ts`), so a run is described without code and can be compared with
 * another run's field by field.
 */
export type RunConfig = Readonly<{
  /** The preset this run started from (informational). */
  preset: string;
  description: string;
  data: DataSpec;
  latent: Readonly<{ dim: number; prior: 'normal' | 'uniform' }>;
  generator: readonly LayerSpec[];
  discriminator: readonly LayerSpec[];
  loss: GanLossName;
  regularizers: Regularizers;
  nDis: number;
  optimizers: Readonly<{ g: OptimizerSpec; d: OptimizerSpec }>;
  /** The run's total step count. */
  steps: number;
  batchSize: number;
  seed: number;
  /** Intervals in steps (0 = never). */
  every: Readonly<{ log: number; eval: number; sample: number; checkpoint: number }>;
  /** Checkpoints kept (newest by step). */
  keep: number;
  /** Images (or points) in each sample grid, from one fixed latent batch. */
  samples: number;
  /** Class-conditional training on the dataset's labels (MNIST only): G and D see `ctx.labels`. */
  conditioning?: Readonly<{ classes: number }>;
  /** ACGAN's auxiliary classifier loss weight, and that of D's classifier on the fakes (needs `conditioning` and `heads`; see `Techniques`). */
  acgan?: Readonly<{ weight: number; fakeWeight?: number }>;
  /**
   * InfoGAN's latent codes (needs `heads`: the adversarial logit, then a Q head giving one block
   * of logits per categorical code and the means of the continuous codes; see `Techniques`).
   */
  infogan?: Readonly<{ categorical?: readonly number[]; continuous?: number; weight: number }>;
  /** An EMA of G's params, used by the sample grids, `puregan sample` and `puregan export`. */
  ema?: Readonly<{ decay: number; start?: number }>;
  /** A replay buffer of past fakes for D (unconditional runs only). */
  replay?: Readonly<{ capacity: number; fraction: number }>;
  /**
   * Heads on D's trunk (`discriminator` is then the trunk): D = `withHeads(trunk, heads)`, each
   * head a list of layer specs `φ → [N, kᵢ]`, outputs concatenated as the step's output layout
   * (adversarial logit first, then ACGAN's classes, then InfoGAN's Q outputs).
   */
  heads?: readonly (readonly LayerSpec[])[];
}>;

export type LayerSpec = Readonly<Record<string, unknown> & { type: string }>;

/**
 * The built-in datasets: MNIST from the `mnist` package (train split, optionally 32×32 and a
 * subset of digits), or `samples` points of a 2-D Gaussian mixture.
 */
export type DataSpec =
  | Readonly<{ source: 'mnist'; size: 28 | 32; classes?: readonly number[] }>
  | Readonly<{ source: 'gaussians'; mixture: 'ring8' | 'grid25' | 'grid100'; samples: number }>;

/** The per-sample shape of a dataset: `[1, size, size]` or `[2]`. */
export const dataShapeOf = (d: DataSpec): number[] => (d.source === 'mnist' ? [1, d.size, d.size] : [2]);

/** A run config checked and built: the train config the step takes. */
export type ResolvedRun = Readonly<{ run: RunConfig; train: ValidTrainConfig }>;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * `base` with `over` laid on it: objects merge key by key, anything else (arrays included, so a
 * network is replaced as a whole) replaces, and so does a schedule spec (`{ schedule, ... }`,
 * one value whose fields depend on its name). `__proto__` and `constructor` keys are refused by
 * the validation, never merged into a prototype (the result is built from plain entries).
 */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over) || 'schedule' in over) return over;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(base)) out[k] = v;
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeConfig(out[k], v) : v;
  return { ...out };
}

const TOP_KEYS = ['preset', 'description', 'data', 'latent', 'generator', 'discriminator', 'loss', 'regularizers', 'nDis', 'optimizers', 'steps', 'batchSize', 'seed', 'every', 'keep', 'samples', 'conditioning', 'acgan', 'infogan', 'ema', 'replay', 'heads'];
const EVERY_KEYS = ['log', 'eval', 'sample', 'checkpoint'];

const intAtLeast = (x: unknown, min: number): x is number => Number.isSafeInteger(x) && (x as number) >= min;

function checkData(d: unknown, problems: string[]): void {
  if (!isRecord(d)) {
    problems.push('data: expected { source: "mnist", size, classes? } or { source: "gaussians", mixture, samples }');
    return;
  }
  if (d.source === 'mnist') {
    for (const k of Object.keys(d)) if (!['source', 'size', 'classes'].includes(k)) problems.push(`data.${k}: unknown field of mnist data; expected: source, size, classes`);
    if (d.size !== 28 && d.size !== 32) problems.push(`data.size: expected 28 or 32, got ${JSON.stringify(d.size)}`);
    if (d.classes !== undefined) {
      const ok = Array.isArray(d.classes) && d.classes.length > 0 && d.classes.every((c) => Number.isInteger(c) && c >= 0 && c <= 9) && new Set(d.classes).size === d.classes.length;
      if (!ok) problems.push(`data.classes: expected distinct digits 0–9, got ${JSON.stringify(d.classes)}`);
    }
  } else if (d.source === 'gaussians') {
    for (const k of Object.keys(d)) if (!['source', 'mixture', 'samples'].includes(k)) problems.push(`data.${k}: unknown field of gaussians data; expected: source, mixture, samples`);
    if (!['ring8', 'grid25', 'grid100'].includes(d.mixture as string)) problems.push(`data.mixture: expected ring8, grid25 or grid100, got ${JSON.stringify(d.mixture)}`);
    if (!intAtLeast(d.samples, 1)) problems.push(`data.samples: expected an integer >= 1, got ${JSON.stringify(d.samples)}`);
  } else {
    problems.push(`data.source: expected "mnist" or "gaussians", got ${JSON.stringify(d.source)}`);
  }
}

/** The fields of each technique of a run config: required ones (a number unless listed as a list) and optional ones. */
const TECHNIQUE_FIELDS: Readonly<Record<string, Readonly<{ required: readonly string[]; optional: readonly string[]; lists?: readonly string[] }>>> = {
  conditioning: { required: ['classes'], optional: [] },
  acgan: { required: ['weight'], optional: ['fakeWeight'] },
  infogan: { required: ['weight'], optional: ['categorical', 'continuous'], lists: ['categorical'] },
  ema: { required: ['decay'], optional: ['start'] },
  replay: { required: ['capacity', 'fraction'], optional: [] },
};

/** The techniques' shape and fields (their values are checked by `resolveTechniques`). */
function checkTechniqueFields(c: Record<string, unknown>, problems: string[]): void {
  for (const [k, { required, optional, lists = [] }] of Object.entries(TECHNIQUE_FIELDS)) {
    const v = c[k];
    if (v === undefined) continue;
    const all = [...required, ...optional];
    if (!isRecord(v)) {
      problems.push(`${k}: expected { ${all.join(', ')} }, got ${JSON.stringify(v)}`);
      continue;
    }
    for (const f of Object.keys(v)) if (!all.includes(f)) problems.push(`${k}.${f}: unknown field; expected: ${all.join(', ')}`);
    for (const f of all) {
      if (v[f] === undefined && !required.includes(f)) continue;
      const list = lists.includes(f);
      if (list ? !Array.isArray(v[f]) : typeof v[f] !== 'number') problems.push(`${k}.${f}: expected ${list ? 'a list of numbers' : 'a number'}, got ${JSON.stringify(v[f])}`);
    }
  }
  if (c.conditioning !== undefined && isRecord(c.data) && c.data.source !== 'mnist') problems.push('conditioning: needs labelled data (data.source "mnist")');
}

/** The D heads of a run config (`heads`), built; problems listed at `heads[i]`. */
function parseHeads(heads: unknown, problems: string[]): AnyLayer[] | undefined {
  if (heads === undefined) return undefined;
  if (!Array.isArray(heads) || heads.length === 0) {
    problems.push('heads: expected a non-empty list of heads, each a list of layer specs');
    return undefined;
  }
  const built: AnyLayer[] = [];
  heads.forEach((h, i) => {
    const r = parseLayerSpecs(h, `heads[${i}]`);
    if (E.isLeft(r)) problems.push(...r.left);
    else built.push(sequential(...r.right.map((l) => l.layer)) as AnyLayer);
  });
  return built;
}

/**
 * Checks a run config (typically a preset with a user's overrides merged in) and builds its
 * networks and train config. Every problem is listed at once: unknown fields, bad numbers, bad
 * layer specs, and what `validateTrainConfig` finds (shapes, optimisers, loss).
 */
export function resolveRunConfig(input: unknown): E.Either<ConfigError, ResolvedRun> {
  if (!isRecord(input)) return E.left(new ConfigError(['the config must be a JSON object']));
  const c = input;
  const problems: string[] = [];
  for (const k of Object.keys(c)) if (!TOP_KEYS.includes(k)) problems.push(`${k}: unknown field; expected one of: ${TOP_KEYS.join(', ')}`);
  for (const k of ['preset', 'description']) if (typeof c[k] !== 'string') problems.push(`${k}: expected a string, got ${JSON.stringify(c[k])}`);
  checkData(c.data, problems);
  for (const [k, min] of [['steps', 0], ['batchSize', 1], ['seed', 0], ['keep', 1], ['samples', 1], ['nDis', 1]] as const) {
    if (!intAtLeast(c[k], min)) problems.push(`${k}: expected an integer >= ${min}, got ${JSON.stringify(c[k])}`);
  }
  if (!isRecord(c.every)) problems.push('every: expected { log, eval, sample, checkpoint } (steps; 0 = never)');
  else {
    for (const k of Object.keys(c.every)) if (!EVERY_KEYS.includes(k)) problems.push(`every.${k}: unknown field; expected: ${EVERY_KEYS.join(', ')}`);
    for (const k of EVERY_KEYS) if (!intAtLeast(c.every[k], 0)) problems.push(`every.${k}: expected an integer >= 0, got ${JSON.stringify(c.every[k])}`);
  }
  if (typeof c.loss !== 'string' || !(GAN_LOSS_NAMES as readonly string[]).includes(c.loss)) {
    problems.push(`loss: expected one of: ${GAN_LOSS_NAMES.join(', ')}, got ${JSON.stringify(c.loss)}`);
  }
  if (!isRecord(c.regularizers)) problems.push('regularizers: expected an object (possibly empty)');
  checkTechniqueFields(c, problems);
  const g = parseLayerSpecs(c.generator, 'generator');
  const d = parseLayerSpecs(c.discriminator, 'discriminator');
  if (E.isLeft(g)) problems.push(...g.left);
  if (E.isLeft(d)) problems.push(...d.left);
  const heads = parseHeads(c.heads, problems);
  if (problems.length > 0 || E.isLeft(g) || E.isLeft(d)) return E.left(new ConfigError(problems));

  const run = c as unknown as RunConfig;
  const train = validateTrainConfig({
    generator: sequential(...g.right.map((l) => l.layer)),
    discriminator: heads === undefined ? sequential(...d.right.map((l) => l.layer)) : withHeads(sequential(...d.right.map((l) => l.layer)), heads),
    latent: run.latent,
    dataShape: dataShapeOf(run.data),
    loss: run.loss,
    regularizers: run.regularizers,
    nDis: run.nDis,
    optimizers: run.optimizers,
    ...(run.conditioning ? { conditioning: run.conditioning } : {}),
    ...(run.acgan ? { acgan: run.acgan } : {}),
    ...(run.infogan ? { infogan: run.infogan } : {}),
    ...(run.ema ? { ema: run.ema } : {}),
    ...(run.replay ? { replay: run.replay } : {}),
  });
  if (E.isLeft(train)) return train;
  return E.right({ run: JSON.parse(JSON.stringify(run)) as RunConfig, train: train.right });
}

const show = (x: unknown): string => {
  const s = JSON.stringify(x) ?? 'absent';
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The fields that fix the shapes of the train state: a checkpoint resumes only under equal ones. */
const ARCHITECTURE_KEYS = ['data', 'latent', 'generator', 'discriminator', 'heads', 'conditioning', 'acgan', 'infogan', 'ema', 'replay', 'nDis', 'optimizers', 'loss', 'regularizers', 'batchSize'] as const;

/**
 * Where two run configs differ in what a checkpoint depends on (architecture, shapes, data,
 * optimisers, batch size), as `field: a → b` lines; empty when a run of `a` can continue as `b`
 * (only steps, intervals, seed and descriptions may differ).
 */
export function runConfigDifferences(a: RunConfig, b: RunConfig): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, at: string): void => {
    if (isRecord(x) && isRecord(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y[k], `${at}.${k}`);
    } else if (Array.isArray(x) && Array.isArray(y) && x.length === y.length) {
      x.forEach((v, i) => walk(v, y[i], `${at}[${i}]`));
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push(`${at}: ${show(x)} → ${show(y)}`);
    }
  };
  for (const k of ARCHITECTURE_KEYS) walk(a[k], b[k], k);
  return out;
}
