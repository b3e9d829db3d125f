import * as E from 'fp-ts/lib/Either.js';
import { materializeSync } from '../core/device_tensor.js';
import { ParseError, ValueError } from '../core/errors.js';
import { treeFlatten, treePaths, treeUnflatten, type Leaf } from '../core/pytree.js';
import { key } from '../core/random.js';
import { scalar, shapesEqual, type Tensor } from '../core/tensor.js';
import { GAN_LOSS_NAMES, type GanLossName } from '../losses/gan.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import { spectralSigma } from '../nn/spectral.js';
import { transpose } from '../ops/shape.js';
import { validateTrainConfig, type ValidTrainConfig } from '../train/config.js';
import { iterationPhases } from '../train/iteration.js';
import { readMetrics } from '../train/metrics.js';
import type { TrainState } from '../train/state.js';
import { dStep, gStep } from '../train/step.js';
import { jit } from '../jit/jit.js';
import type { ReferenceCase } from './cases.js';
import { declaredInput, parseLayerSpecs, type BuiltLayer } from './layer_specs.js';

/**
 * Whole GAN iterations against PyTorch (`op: "gan_step"`, ../shared/reference/steps and each
 * case's `attrs.note`): both networks built from the layer specs with the project's own layers,
 * the given params and state loaded by name (`g.<layer>.<name>`: weight, bias, running_mean,
 * running_var, u, v), the given randomness injected (`real_i_k`, `z_d_i_k`, `alpha_i_k`,
 * `z_g_i`), and the iterations run with `dStep` / `gStep` in the order of `iterationPhases`.
 * Returns the final params and state under the same names and the per-step losses
 * `d_loss_i_k` (adversarial), `gp_i_k` (unweighted penalty) and `g_loss_i` as 0-d tensors.
 *
 * Every problem with the case (an unknown attribute, layer type or field, a missing or unknown
 * input, a shape that does not fit) is reported at once, naming the field, as a ParseError.
 */

const ATTRS = ['generator', 'discriminator', 'loss', 'gp_weight', 'n_dis', 'order', 'iterations', 'batch', 'z_dim', 'x_shape', 'lr_g', 'lr_d', 'betas', 'eps', 'note'];

const RANDOMNESS = /^(?:real_\d+_\d+|z_d_\d+_\d+|alpha_\d+_\d+|z_g_\d+)$/;

type Net = Readonly<{ prefix: 'g' | 'd'; layers: BuiltLayer[]; layer: AnyLayer; inputShape: readonly number[] }>;

/** `runningMean` → `running_mean`; spectral norm's `inner.` wrapper dropped. */
const stateName = (path: string): string => path.replace(/(^|\.)inner\./g, '$1').replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** The leaves of layer i's params and state as case names `<prefix>.<i>.<name>`, in flatten order. */
function leafNames(net: Net, tree: readonly unknown[]): string[] {
  return tree.flatMap((t, i) => treePaths(t).map((p) => `${net.prefix}.${i}.${stateName(p)}`));
}

/** Whether a leaf name is a (conv-transpose, spectrally normalised) weight stored permuted. */
const permuted = (net: Net, name: string): boolean => {
  const m = /^[gd]\.(\d+)\.weight$/.exec(name);
  return m !== null && net.layers[Number(m[1])]!.permutedWeight;
};

/** Replaces every leaf of an initialised tree with the case's tensor of the same name. */
function load(net: Net, tree: readonly unknown[], inputs: Readonly<Record<string, Tensor>>, used: Set<string>, problems: string[]): readonly unknown[] {
  const { leaves, treedef } = treeFlatten(tree);
  const names = leafNames(net, tree);
  const loaded: Leaf[] = leaves.map((leaf, j) => {
    const name = names[j]!;
    if (DERIVED.test(name)) return leaf;
    const given = inputs[name];
    used.add(name);
    if (given === undefined) {
      problems.push(`inputs.${name}: missing (the network has this ${typeof leaf === 'number' ? 'value' : `tensor of shape [${leaf.shape.join(', ')}]`})`);
      return leaf;
    }
    const t = permuted(net, name) ? transpose(given, [1, 0, 2, 3]) : given;
    if (typeof leaf !== 'number' && !shapesEqual(leaf.shape, t.shape)) {
      problems.push(`inputs.${name}: shape [${given.shape.join(', ')}] does not fit the layer (expected [${(permuted(net, name) ? transpose(leaf, [1, 0, 2, 3]) : leaf).shape.join(', ')}])`);
      return leaf;
    }
    return t;
  });
  return treeUnflatten(treedef, loaded);
}

/** Spectral norm's σ in layer state is derived from W, u and v (`withSigma`), not a case input. */
const DERIVED = /\.sigma$/;

/** The state with each SN layer's σ = uᵀWv recomputed from its (loaded) weight and vectors. */
function withSigma(params: readonly unknown[], state: readonly unknown[]): readonly unknown[] {
  return state.map((s, i) => {
    const sn = s as { u?: Tensor; v?: Tensor; sigma?: Tensor };
    const w = (params[i] as { weight?: Tensor }).weight;
    return sn.sigma !== undefined && sn.u !== undefined && sn.v !== undefined && w !== undefined ? { ...sn, sigma: spectralSigma(w, { u: sn.u, v: sn.v }) } : s;
  });
}

/** The final params and state under their case names (weights permuted back where needed). */
function named(net: Net, tree: readonly unknown[]): Record<string, Tensor> {
  const names = leafNames(net, tree);
  const out: Record<string, Tensor> = {};
  treeFlatten(tree).leaves.forEach((l, j) => {
    const name = names[j]!;
    if (typeof l !== 'number' && !DERIVED.test(name)) out[name] = permuted(net, name) ? transpose(l, [1, 0, 2, 3]) : l;
  });
  return out;
}

function buildNet(prefix: 'g' | 'd', specs: unknown, inputShape: readonly number[], problems: string[]): Net | undefined {
  const parsed = parseLayerSpecs(specs, `attrs.${prefix === 'g' ? 'generator' : 'discriminator'}`);
  if (E.isLeft(parsed)) {
    problems.push(...parsed.left);
    return undefined;
  }
  let shape = inputShape;
  for (const [i, l] of parsed.right.entries()) {
    const where = `attrs.${prefix === 'g' ? 'generator' : 'discriminator'}[${i}]`;
    const mismatch = declaredInput(l, shape);
    if (mismatch !== undefined) {
      problems.push(`${where}: ${mismatch}`);
      return undefined;
    }
    try {
      shape = l.layer.init(key(0), shape).outputShape;
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
      return undefined;
    }
  }
  return { prefix, layers: parsed.right, layer: sequential(...parsed.right.map((l) => l.layer)), inputShape };
}

type Setup = Readonly<{ config: ValidTrainConfig; state: TrainState; g: Net; d: Net; iterations: number }>;

function setUp(c: ReferenceCase): E.Either<string[], Setup> {
  const a = c.attrs;
  const problems: string[] = [];
  for (const k of Object.keys(a)) if (!ATTRS.includes(k)) problems.push(`attrs.${k}: unknown attribute of a gan_step case; expected: ${ATTRS.join(', ')}`);
  const posInt = (k: string): number | undefined => {
    const v = a[k];
    if (Number.isSafeInteger(v) && (v as number) >= 1) return v as number;
    problems.push(`attrs.${k}: expected an integer >= 1, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const num = (k: string, fallback?: number): number | undefined => {
    const v = a[k] ?? fallback;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    problems.push(`attrs.${k}: expected a number, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const zDim = posInt('z_dim');
  const nDis = posInt('n_dis');
  const iterations = posInt('iterations');
  const xShape = Array.isArray(a.x_shape) && a.x_shape.every((d) => Number.isSafeInteger(d) && d >= 1) ? (a.x_shape as number[]) : undefined;
  if (xShape === undefined) problems.push(`attrs.x_shape: expected the per-sample data shape, got ${JSON.stringify(a.x_shape)}`);
  if (typeof a.loss !== 'string' || !(GAN_LOSS_NAMES as string[]).includes(a.loss)) {
    problems.push(`attrs.loss: expected one of ${GAN_LOSS_NAMES.join(', ')}, got ${JSON.stringify(a.loss)}`);
  }
  if (a.order !== 'd-first' && a.order !== 'g-first') problems.push(`attrs.order: expected "d-first" or "g-first", got ${JSON.stringify(a.order)}`);
  const betas = a.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number')) problems.push(`attrs.betas: expected [b1, b2], got ${JSON.stringify(a.betas)}`);
  const [b1, b2] = betas as [number, number];
  const lrG = num('lr_g');
  const lrD = num('lr_d');
  const eps = num('eps', 1e-8);
  const gpWeight = num('gp_weight', 0);
  const g = zDim !== undefined ? buildNet('g', a.generator, [zDim], problems) : undefined;
  const d = xShape !== undefined ? buildNet('d', a.discriminator, xShape, problems) : undefined;
  if (problems.length > 0 || g === undefined || d === undefined || iterations === undefined || nDis === undefined) return E.left(problems);

  const config = validateTrainConfig({
    generator: g.layer,
    discriminator: d.layer,
    latent: { dim: zDim!, prior: 'normal' },
    dataShape: xShape!,
    loss: a.loss as GanLossName,
    nDis,
    order: a.order as 'd-first' | 'g-first',
    ...(gpWeight! > 0 ? { regularizers: { gradientPenalty: { weight: gpWeight! } } } : {}),
    optimizers: { g: { name: 'adam', lr: lrG!, b1, b2, eps: eps! }, d: { name: 'adam', lr: lrD!, b1, b2, eps: eps! } },
  });
  if (E.isLeft(config)) return E.left(config.left.problems.map((p) => `attrs: ${p}`));

  const used = new Set<string>();
  const gInit = config.right.generator.init(key(0), [zDim!]);
  const dInit = config.right.discriminator.init(key(1), xShape!);
  const gParams = load(g, gInit.params as unknown[], c.inputs, used, problems);
  const gState = withSigma(gParams, load(g, gInit.state as unknown[], c.inputs, used, problems));
  const dParams = load(d, dInit.params as unknown[], c.inputs, used, problems);
  const dState = withSigma(dParams, load(d, dInit.state as unknown[], c.inputs, used, problems));
  const need = (name: string): void => {
    used.add(name);
    if (c.inputs[name] === undefined) problems.push(`inputs.${name}: missing`);
  };
  for (let i = 0; i < iterations; i++) {
    need(`z_g_${i}`);
    for (let k = 0; k < nDis; k++) {
      need(`real_${i}_${k}`);
      need(`z_d_${i}_${k}`);
      if (gpWeight! > 0) need(`alpha_${i}_${k}`);
    }
  }
  for (const name of Object.keys(c.inputs)) {
    if (used.has(name)) continue;
    problems.push(
      RANDOMNESS.test(name)
        ? `inputs.${name}: not used by ${iterations} iterations of n_dis ${nDis}${name.startsWith('alpha') ? ' without gp_weight' : ''}`
        : `inputs.${name}: not a param or state of the networks (names are <g|d>.<layer>.<weight|bias|running_mean|running_var|u|v>)`,
    );
  }
  if (problems.length > 0) return E.left(problems);
  const opt = config.right.optimizers;
  const state: TrainState = {
    step: scalar(0),
    g: { params: gParams, state: gState, opt: opt.g.init(gParams) },
    d: { params: dParams, state: dState, opt: opt.d.init(dParams) },
  };
  return E.right({ config: config.right, state, g, d, iterations });
}

/** Runs a `gan_step` case (with `jit`, each D and G step through one jitted function); throws a ParseError listing every problem with it. */
export function runGanStepCase(c: ReferenceCase, opts: Readonly<{ jit?: boolean }> = {}): Readonly<{ outputs: Record<string, Tensor>; grads: Record<string, Tensor> }> {
  const setup = setUp(c);
  if (E.isLeft(setup)) throw new ParseError(`case ${c.name} (gan_step):\n  - ${setup.left.join('\n  - ')}`);
  const { config, g, d, iterations } = setup.right;
  const stage = <B>(step: (s: TrainState, b: B) => ReturnType<typeof dStep>) => (opts.jit ? jit(step) : step);
  const dStepOf = stage((s: TrainState, b: Parameters<typeof dStep>[2]) => dStep(config, s, b));
  const gStepOf = stage((s: TrainState, b: Parameters<typeof gStep>[2]) => gStep(config, s, b));
  let state = setup.right.state;
  const outputs: Record<string, Tensor> = {};
  const input = (name: string): Tensor => c.inputs[name]!;
  for (let i = 0; i < iterations; i++) {
    for (const phase of iterationPhases(config)) {
      if (phase === 'g') {
        const [s, m] = gStepOf(state, { z: input(`z_g_${i}`), ...(config.gUsesReal ? { real: input(`real_${i}_${config.order === 'g-first' ? 0 : config.nDis - 1}`) } : {}) });
        state = s;
        const values = readMetrics(materializeSync(m));
        if (values.finite === 0) throw new ValueError(`case ${c.name}: the G step of iteration ${i} was not finite (g_loss ${values.g_loss})`);
        outputs[`g_loss_${i}`] = scalar(values.g_loss!);
      } else {
        const alpha = config.gradientPenalty ? { alpha: input(`alpha_${i}_${phase}`) } : {};
        const [s, m] = dStepOf(state, { real: input(`real_${i}_${phase}`), z: input(`z_d_${i}_${phase}`), ...alpha });
        state = s;
        const values = readMetrics(materializeSync(m));
        if (values.finite === 0) throw new ValueError(`case ${c.name}: D step ${phase} of iteration ${i} was not finite (d_loss ${values.d_loss})`);
        outputs[`d_loss_${i}_${phase}`] = scalar(values.d_loss!);
        if (values.gp !== undefined) outputs[`gp_${i}_${phase}`] = scalar(values.gp);
      }
    }
  }
  // A jitted step on a device backend leaves the state on the device; this batch tool reads it back blocking.
  state = materializeSync(state);
  Object.assign(
    outputs,
    named(g, state.g.params as unknown[]),
    named(g, state.g.state as unknown[]),
    named(d, state.d.params as unknown[]),
    named(d, state.d.state as unknown[]),
  );
  return { outputs, grads: {} };
}
