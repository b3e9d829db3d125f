import * as E from 'fp-ts/lib/Either.js';
import { ParseError, ShapeError, ValueError, type PureganError } from '../core/errors.js';
import { key, type Key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { parseLayerSpecs } from '../conformance/layer_specs.js';
import { parseSafetensors, serializeSafetensors, toTensor } from '../io/safetensors.js';
import { loadStateDict, stateDict } from '../io/state_dict.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import type { LayerSpec } from './run_config.js';
import { codeWidth, describeCodes, generatorInputs, type InfoCodes } from './latent_codes.js';
import { generate, type LatentPrior } from './sampling.js';

/**
 * A trained generator on its own, the way a model leaves the training machine: one safetensors
 * file whose tensors are G's params and layer state under PyTorch `state_dict` names (so
 * `safetensors.torch.load_file` loads it into the matching `torch.nn.Sequential`), and whose
 * metadata `puregan.generator` holds what rebuilds it: `{ format, latent, dataShape, generator
 * (layer specs), preset, step, classes?, infogan?, ema? }` — `classes` for a class-conditional G
 * (it takes labels), `infogan` the codes appended to z, `ema` whether the params are the EMA
 * copy. `loadGenerator` reads it from bytes with no Node built-in, so it works in a browser.
 */
export const GENERATOR_FORMAT = 'puregan-generator/1';
const META_KEY = 'puregan.generator';

export type GeneratorDescription = Readonly<{
  latent: LatentPrior;
  dataShape: readonly number[];
  generator: readonly LayerSpec[];
  preset?: string;
  step?: number;
  /** A class-conditional G's class count: `sample` then needs labels `[N]` in [0, classes). */
  classes?: number;
  /** InfoGAN's codes, appended to the noise in G's input. */
  infogan?: InfoCodes;
  /** Whether the params are the run's EMA copy of G's. */
  ema?: boolean;
}>;

export type LoadedGenerator = GeneratorDescription &
  Readonly<{
    layer: AnyLayer;
    params: unknown;
    state: unknown;
    /** G's input width: latent.dim + InfoGAN's Σ categorical + continuous. */
    inputDim: number;
    /**
     * G in eval mode: z `[N, inputDim]` (noise, then InfoGAN's codes: one one-hot block per
     * categorical code, the continuous values) → x `[N, ...dataShape]`; a class-conditional G
     * needs `labels` `[N]`. Throws ShapeError for another z width, ValueError for labels missing
     * (or given to an unconditional G).
     */
    sample(z: Tensor, opts?: Readonly<{ labels?: Tensor }>): Tensor;
    /** `n` inputs `[n, inputDim]` drawn as `puregan sample --seed` draws them (`generatorInputs`). */
    drawInputs(key: Key, n: number): Tensor;
  }>;

/** The generator file's bytes for G's params and state (see the module comment). */
export function encodeGenerator(o: GeneratorDescription & Readonly<{ params: unknown; state: unknown }>): Uint8Array {
  const description = {
    format: GENERATOR_FORMAT,
    latent: o.latent,
    dataShape: o.dataShape,
    generator: o.generator,
    preset: o.preset,
    step: o.step,
    ...(o.classes !== undefined ? { classes: o.classes } : {}),
    ...(o.infogan !== undefined ? { infogan: { categorical: o.infogan.categorical, continuous: o.infogan.continuous } } : {}),
    ...(o.ema !== undefined ? { ema: o.ema } : {}),
  };
  return serializeSafetensors(stateDict(o.params, o.state), { [META_KEY]: JSON.stringify(description) });
}

/** Labels `[n]` of integer class ids in [0, classes), read on the host; ShapeError / ValueError otherwise. */
function checkLabels(labels: Tensor, o: Readonly<{ n: number; classes: number }>): void {
  if (labels.shape.length !== 1 || labels.shape[0] !== o.n) throw new ShapeError(`labels must be [${o.n}] (one class id per sample), got [${labels.shape.join(', ')}]`);
  const bad = labels.data.findIndex((y) => !(Number.isInteger(y) && y >= 0 && y < o.classes));
  if (bad !== -1) throw new ValueError(`labels[${bad}] is ${labels.data[bad]}, not a class id in [0, ${o.classes})`);
}

/**
 * Rebuilds a generator from a file of `encodeGenerator`: parses it (the hardened safetensors
 * parser), rebuilds the layers from their specs and loads the tensors by name. Left: one typed
 * error naming what is wrong (not safetensors, no or bad description, missing, extra or
 * mis-shaped tensors).
 */
export function loadGenerator(bytes: Uint8Array): E.Either<PureganError, LoadedGenerator> {
  const file = parseSafetensors(bytes);
  if (E.isLeft(file)) return file;
  const meta = file.right.metadata.get(META_KEY);
  if (meta === undefined) return E.left(new ParseError(`not a puregan generator file: its metadata has no "${META_KEY}" (export one with puregan export)`));
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(meta) as Record<string, unknown>;
  } catch {
    return E.left(new ParseError(`the generator description ("${META_KEY}") is not valid JSON`));
  }
  if (d.format !== GENERATOR_FORMAT) return E.left(new ParseError(`generator format is ${JSON.stringify(d.format)}, expected "${GENERATOR_FORMAT}"`));
  const latent = d.latent as LatentPrior | undefined;
  if (!latent || !Number.isSafeInteger(latent.dim) || latent.dim < 1 || (latent.prior !== 'normal' && latent.prior !== 'uniform')) {
    return E.left(new ParseError(`the generator description has no valid latent { dim, prior }, got ${JSON.stringify(d.latent)}`));
  }
  const classes = d.classes;
  if (classes !== undefined && !(Number.isSafeInteger(classes) && (classes as number) >= 2)) {
    return E.left(new ParseError(`the generator description's classes must be an integer >= 2, got ${JSON.stringify(classes)}`));
  }
  const info = d.infogan as Partial<InfoCodes> | undefined;
  const okInfo =
    info === undefined ||
    (typeof info === 'object' && info !== null && Array.isArray(info.categorical) && info.categorical.every((k) => Number.isSafeInteger(k) && k >= 2) && Number.isSafeInteger(info.continuous) && info.continuous! >= 0);
  if (!okInfo) return E.left(new ParseError(`the generator description's infogan must be { categorical: [k >= 2, ...], continuous: n >= 0 }, got ${JSON.stringify(d.infogan)}`));
  const infogan = info === undefined ? undefined : ({ categorical: info.categorical!, continuous: info.continuous! } as InfoCodes);
  const inputDim = latent.dim + (infogan === undefined ? 0 : codeWidth(infogan));
  const specs = parseLayerSpecs(d.generator, 'generator');
  if (E.isLeft(specs)) return E.left(new ParseError(`the generator description's layers are invalid: ${specs.left.join('; ')}`));
  const layer = sequential(...specs.right.map((l) => l.layer)) as AnyLayer;
  let template: { params: unknown; state: unknown };
  try {
    const init = layer.init(key(0), [inputDim]);
    template = { params: init.params, state: init.state };
  } catch (e) {
    return E.left(new ParseError(`the generator's layers do not build on the input shape [${inputDim}]: ${(e as Error).message}`));
  }
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of file.right.tensors) {
    const x = toTensor(t);
    if (E.isLeft(x)) return x;
    tensors.set(name, x.right);
  }
  const loaded = loadStateDict(template, tensors);
  if (E.isLeft(loaded)) return loaded;
  const g = loaded.right;
  const what = `this generator takes z [N, ${inputDim}]${infogan ? ` (${latent.dim} noise, then the InfoGAN codes ${describeCodes(infogan)})` : ''}`;
  return E.right({
    latent,
    dataShape: (d.dataShape as number[] | undefined) ?? [],
    generator: d.generator as LayerSpec[],
    ...(typeof d.preset === 'string' ? { preset: d.preset } : {}),
    ...(typeof d.step === 'number' ? { step: d.step } : {}),
    ...(classes !== undefined ? { classes: classes as number } : {}),
    ...(infogan ? { infogan } : {}),
    ...(typeof d.ema === 'boolean' ? { ema: d.ema } : {}),
    layer,
    params: g.params,
    state: g.state,
    inputDim,
    sample(z, opts = {}) {
      if (z.shape.length !== 2 || z.shape[1] !== inputDim) throw new ShapeError(`${what}, got [${z.shape.join(', ')}]`);
      if (classes !== undefined && opts.labels === undefined) throw new ValueError(`this generator is class-conditional (${String(classes)} classes): pass labels [N] with the class of each sample`);
      if (classes === undefined && opts.labels !== undefined) throw new ValueError('this generator is not class-conditional: it takes no labels');
      if (opts.labels !== undefined) checkLabels(opts.labels, { n: z.shape[0]!, classes: classes as number });
      return generate(layer, g, z, opts.labels);
    },
    drawInputs: (k, n) => generatorInputs({ latent, infogan, key: k, n }),
  });
}
