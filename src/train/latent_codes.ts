import { ValueError } from '../core/errors.js';
import { foldIn, randint, split, uniform, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { oneHot } from '../ops/activations.js';
import { concat } from '../ops/shape.js';
import { interpolationLatents, sampleLatents, type LatentPrior } from './sampling.js';

/**
 * InfoGAN's latent codes on the host side: drawing them, naming them, and the traversal grids
 * that show what each one controls. G's input is `[N, latent.dim + Σ categorical + continuous]`:
 * the noise z, one one-hot block per categorical code, then the continuous codes.
 */
export type InfoCodes = Readonly<{ categorical: readonly number[]; continuous: number }>;

/** The width of the code block: Σ categorical + continuous. */
export const codeWidth = (info: InfoCodes): number => info.categorical.reduce((a, k) => a + k, 0) + info.continuous;

/** Codes `[N, Σ categorical + continuous]`: a uniform one-hot block per categorical code, then U(−1, 1) continuous codes (the training prior). */
export function drawCodes(key: Key, n: number, info: InfoCodes): Tensor {
  const keys = split(key, info.categorical.length + 1);
  const blocks = info.categorical.map((k, i) => oneHot(tensor([n], Float32Array.from(randint(keys[i]!, [n], 0, k))), k));
  if (info.continuous > 0) blocks.push(uniform(keys[info.categorical.length]!, [n, info.continuous], -1, 1));
  return concat(blocks, 1);
}

/**
 * `n` generator inputs `[n, latent.dim (+ codes)]` from one key: the noise is
 * `sampleLatents(latent, key, n)` (so a run without codes draws exactly that), InfoGAN's codes
 * come from `foldIn(key, 1)`.
 */
export function generatorInputs(o: Readonly<{ latent: LatentPrior; infogan?: InfoCodes | undefined; key: Key; n: number }>): Tensor {
  const z = sampleLatents(o.latent, o.key, o.n);
  return o.infogan === undefined ? z : concat([z, drawCodes(foldIn(o.key, 1), o.n, o.infogan)], 1);
}

/** One code of a run: `cat<i>` (categorical, `values` values) or `cont<j>` (continuous), and its columns in the code block. */
export type CodeInfo = Readonly<{ name: string; kind: 'categorical' | 'continuous'; values?: number; offset: number }>;

/** The codes in G's input order: cat0, cat1, …, then cont0, cont1, … */
export function codeList(info: InfoCodes): CodeInfo[] {
  const out: CodeInfo[] = [];
  let at = 0;
  info.categorical.forEach((k, i) => {
    out.push({ name: `cat${i}`, kind: 'categorical', values: k, offset: at });
    at += k;
  });
  for (let j = 0; j < info.continuous; j++) out.push({ name: `cont${j}`, kind: 'continuous', offset: at + j });
  return out;
}

/** The codes as one phrase for messages: `cat0 (10 values), cont0, cont1 (continuous)`. */
export const describeCodes = (info: InfoCodes): string =>
  codeList(info)
    .map((c) => (c.kind === 'categorical' ? `${c.name} (${c.values} values)` : `${c.name} (continuous)`))
    .join(', ');

/** Points of a continuous code's traversal: linspace(−2, 2, 9), twice the training range U(−1, 1), as the InfoGAN paper shows. */
export const TRAVERSE_POINTS = 9;
export const TRAVERSE_RANGE = 2;

/**
 * A traversal grid's inputs `[rows·columns, latent.dim + codes]`, row-major: row r holds one
 * draw of the noise and of the other codes (`generatorInputs(key, rows)` row r), and column j
 * sets the traversed code to its j-th value — for a categorical code of k values, value j
 * (columns = k); for a continuous one, −2 + 4j/(columns − 1) (columns = `TRAVERSE_POINTS`).
 * Throws ValueError naming the run's codes for an unknown one.
 */
export function traversalInputs(o: Readonly<{ latent: LatentPrior; infogan: InfoCodes; key: Key; rows: number; code: string }>): Readonly<{ z: Tensor; columns: number }> {
  const codes = codeList(o.infogan);
  const code = codes.find((c) => c.name === o.code);
  if (code === undefined) throw new ValueError(`unknown InfoGAN code ${JSON.stringify(o.code)}; this run's codes: ${describeCodes(o.infogan)}`);
  const base = generatorInputs({ latent: o.latent, infogan: o.infogan, key: o.key, n: o.rows }).data;
  const width = o.latent.dim + codeWidth(o.infogan);
  const columns = code.kind === 'categorical' ? code.values! : TRAVERSE_POINTS;
  const out = new Float32Array(o.rows * columns * width);
  const at = o.latent.dim + code.offset;
  for (let r = 0; r < o.rows; r++) {
    for (let j = 0; j < columns; j++) {
      const row = (r * columns + j) * width;
      out.set(base.subarray(r * width, (r + 1) * width), row);
      if (code.kind === 'categorical') {
        out.fill(0, row + at, row + at + code.values!);
        out[row + at + j] = 1;
      } else {
        out[row + at] = -TRAVERSE_RANGE + (2 * TRAVERSE_RANGE * j) / (columns - 1);
      }
    }
  }
  return { z: tensor([o.rows * columns, width], out), columns };
}

/**
 * Latent walks with codes `[walks·steps, latent.dim + codes]`: the noise of
 * `interpolationLatents` (walk w in row w), and for InfoGAN one draw of the codes per walk,
 * held along it (from `foldIn(key, 1)`), so a row shows the noise alone changing.
 */
export function interpolationInputs(o: Readonly<{ latent: LatentPrior; infogan?: InfoCodes | undefined; key: Key; walks: number; steps: number }>): Tensor {
  const noise = interpolationLatents({ latent: o.latent, key: o.key, walks: o.walks, steps: o.steps });
  if (o.infogan === undefined) return noise;
  const codes = drawCodes(foldIn(o.key, 1), o.walks, o.infogan);
  const w = codeWidth(o.infogan);
  const held = new Float32Array(o.walks * o.steps * w);
  for (let i = 0; i < o.walks * o.steps; i++) held.set(codes.data.subarray(Math.floor(i / o.steps) * w, (Math.floor(i / o.steps) + 1) * w), i * w);
  return concat([noise, tensor([o.walks * o.steps, w], held)], 1);
}

/**
 * The values of categorical code `index` in generator inputs `z` `[N, latent.dim + codes]`: the
 * position of the 1 in its one-hot block, one integer in [0, values) per row.
 */
export function categoricalValues(o: Readonly<{ z: Tensor; latentDim: number; infogan: InfoCodes; index: number }>): Int32Array {
  const code = codeList(o.infogan).filter((c) => c.kind === 'categorical')[o.index];
  if (code === undefined) throw new ValueError(`categorical code ${o.index} does not exist; this run's codes: ${describeCodes(o.infogan)}`);
  const [n, width] = o.z.shape as [number, number];
  if (o.z.shape.length !== 2 || width !== o.latentDim + codeWidth(o.infogan)) {
    throw new ValueError(`generator inputs must be [N, ${o.latentDim + codeWidth(o.infogan)}] (latent.dim ${o.latentDim} + codes), got [${o.z.shape.join(', ')}]`);
  }
  const out = new Int32Array(n);
  const at = o.latentDim + code.offset;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let v = 1; v < code.values!; v++) if (o.z.data[i * width + at + v]! > o.z.data[i * width + at + best]!) best = v;
    out[i] = best;
  }
  return out;
}
