import * as E from 'fp-ts/lib/Either.js';
import { ParseError, type PureganError } from '../core/errors.js';
import { key } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { parseLayerSpecs } from '../conformance/layer_specs.js';
import { parseSafetensors, serializeSafetensors, toTensor } from '../io/safetensors.js';
import { loadStateDict, stateDict } from '../io/state_dict.js';
import { sequential, type AnyLayer } from '../nn/layer.js';
import type { LayerSpec } from './run_config.js';
import { generate, type LatentPrior } from './sampling.js';

/**
 * A trained generator on its own, the way a model leaves the training machine: one safetensors
 * file whose tensors are G's params and layer state under PyTorch `state_dict` names (so
 * `safetensors.torch.load_file` loads it into the matching `torch.nn.Sequential`), and whose
 * metadata `puregan.generator` holds what rebuilds it: `{ format, latent, dataShape, generator
 * (layer specs), preset, step }`. `loadGenerator` reads it from bytes with no Node built-in, so
 * it works in a browser.
 */
export const GENERATOR_FORMAT = 'puregan-generator/1';
const META_KEY = 'puregan.generator';

export type GeneratorDescription = Readonly<{
  latent: LatentPrior;
  dataShape: readonly number[];
  generator: readonly LayerSpec[];
  preset?: string;
  step?: number;
}>;

export type LoadedGenerator = GeneratorDescription &
  Readonly<{
    layer: AnyLayer;
    params: unknown;
    state: unknown;
    /** G in eval mode: z `[N, latent.dim]` → x `[N, ...dataShape]`. */
    sample(z: Tensor): Tensor;
  }>;

/** The generator file's bytes for G's params and state (see the module comment). */
export function encodeGenerator(o: GeneratorDescription & Readonly<{ params: unknown; state: unknown }>): Uint8Array {
  const description = { format: GENERATOR_FORMAT, latent: o.latent, dataShape: o.dataShape, generator: o.generator, preset: o.preset, step: o.step };
  return serializeSafetensors(stateDict(o.params, o.state), { [META_KEY]: JSON.stringify(description) });
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
  const specs = parseLayerSpecs(d.generator, 'generator');
  if (E.isLeft(specs)) return E.left(new ParseError(`the generator description's layers are invalid: ${specs.left.join('; ')}`));
  const layer = sequential(...specs.right.map((l) => l.layer)) as AnyLayer;
  let template: { params: unknown; state: unknown };
  try {
    const init = layer.init(key(0), [latent.dim]);
    template = { params: init.params, state: init.state };
  } catch (e) {
    return E.left(new ParseError(`the generator's layers do not build on the latent shape [${latent.dim}]: ${(e as Error).message}`));
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
  return E.right({
    latent,
    dataShape: (d.dataShape as number[] | undefined) ?? [],
    generator: d.generator as LayerSpec[],
    ...(typeof d.preset === 'string' ? { preset: d.preset } : {}),
    ...(typeof d.step === 'number' ? { step: d.step } : {}),
    layer,
    params: g.params,
    state: g.state,
    sample: (z) => generate(layer, g, z),
  });
}
