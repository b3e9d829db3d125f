import * as E from 'fp-ts/lib/Either.js';
import { promises as fs } from 'node:fs';
import { IoError, ParseError, type PureganError, type ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { tensor } from '../core/tensor.js';
import type { ImageDataset } from '../data/dataset.js';
import { parseNpy, type NpyArray } from '../io/npy.js';

/**
 * Images from a `.npy` file, with optional labels from another:
 *
 * - images `[N, H, W]` (one channel) or `[N, C, H, W]` with C = 1 or 3 (PyTorch's layout; an
 *   array that looks channels-last, `[N, H, W, 1|3]`, is refused with the transpose to apply);
 * - uint8 images are scaled as p/127.5 − 1; float32 images are taken as they are and must be
 *   finite and lie in [−1, 1] (the range of a tanh generator);
 * - labels: one non-negative integer per image, `[N]`, of any integer dtype (or float32/64
 *   holding integers); `classes` is the largest label + 1 (1 without labels, all labels 0).
 *
 * Every problem found is listed in the one error.
 */
export type NpyDatasetOptions = Readonly<{ images: string; labels?: string }>;

async function readNpy(file: string): Promise<E.Either<PureganError, NpyArray>> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    return E.left(new IoError(`cannot read ${file}: ${(e as Error).message}`));
  }
  return parseNpy(bytes, file);
}

export async function loadNpyDataset(opts: NpyDatasetOptions): Promise<E.Either<PureganError, ImageDataset>> {
  try {
    checkOptions('loadNpyDataset', opts, { images: true, labels: true });
  } catch (e) {
    return E.left(e as ValueError);
  }
  const images = await readNpy(opts.images);
  const labels = opts.labels === undefined ? undefined : await readNpy(opts.labels);
  const problems: string[] = [];
  if (E.isLeft(images)) problems.push(images.left.message);
  if (labels && E.isLeft(labels)) problems.push(labels.left.message);
  let shape: number[] | undefined;
  let values: Float32Array | undefined;
  if (E.isRight(images)) {
    const a = images.right;
    const s = a.shape;
    if (s.length === 3) shape = [s[0]!, 1, s[1]!, s[2]!];
    else if (s.length === 4 && (s[1] === 1 || s[1] === 3)) shape = [...s];
    else if (s.length === 4 && (s[3] === 1 || s[3] === 3)) problems.push(`${opts.images}: shape (${s.join(', ')}) looks channels-last; save it as [N, C, H, W] (np.transpose(x, (0, 3, 1, 2)))`);
    else problems.push(`${opts.images}: images must be [N, H, W] or [N, C, H, W] with C = 1 or 3, got shape (${s.join(', ')})`);
    if (shape && shape[0] === 0) problems.push(`${opts.images} holds no images`);
    if (a.dtype === 'u1') values = Float32Array.from(a.data as Uint8Array, (p) => p / 127.5 - 1);
    else if (a.dtype === 'f4') {
      const d = a.data as Float32Array;
      let min = Infinity;
      let max = -Infinity;
      let nonFinite = -1;
      d.forEach((v, i) => {
        if (!Number.isFinite(v) && nonFinite < 0) nonFinite = i;
        min = Math.min(min, v);
        max = Math.max(max, v);
      });
      if (nonFinite >= 0) problems.push(`${opts.images} has a non-finite value ${d[nonFinite]} at flat index ${nonFinite}`);
      else if (d.length > 0 && (min < -1 || max > 1)) problems.push(`${opts.images}: float32 images must lie in [-1, 1], got values from ${min} to ${max} (scale them, e.g. x * 2 - 1 for [0, 1], or save uint8)`);
      values = d;
    } else problems.push(`${opts.images}: images must be float32 or uint8, got ${a.dtype}`);
  }
  let labelValues: Float32Array | undefined;
  if (labels && E.isRight(labels)) {
    const l = labels.right;
    const n = shape?.[0];
    if (l.shape.length !== 1) problems.push(`${opts.labels}: labels must be [N], got shape (${l.shape.join(', ')})`);
    else if (n !== undefined && l.shape[0] !== n) problems.push(`${opts.labels} holds ${l.shape[0]} labels for ${n} images`);
    const nums = Array.from(l.data as ArrayLike<number | bigint>, (v) => Number(v));
    const bad = nums.findIndex((v) => !Number.isInteger(v) || v < 0);
    if (bad >= 0) problems.push(`${opts.labels}: labels must be non-negative integers, got ${nums[bad]} at index ${bad}`);
    labelValues = Float32Array.from(nums);
  }
  if (problems.length > 0) return E.left(new ParseError(problems.join('; ')));
  const n = shape![0]!;
  const lv = labelValues ?? new Float32Array(n);
  return E.right(
    Object.freeze({
      images: tensor(shape!, values!),
      labels: tensor([n], lv),
      classes: lv.reduce((m, v) => Math.max(m, v), 0) + 1,
    }),
  );
}
