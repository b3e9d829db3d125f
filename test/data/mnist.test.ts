import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as E from 'fp-ts/lib/Either.js';
import { mnistFromDigits, mnistFromPackage, type MnistOptions } from '../../src/data/mnist.js';
import { loadMnist } from '../../src/node/mnist.js';
import type { ImageDataset } from '../../src/data/dataset.js';

const pkg = createRequire(import.meta.url)('mnist') as Record<number, { raw: number[] }>;

async function mnist(opts: MnistOptions = {}): Promise<ImageDataset> {
  const r = await loadMnist(opts);
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  return r.right;
}

const countLabels = (d: ImageDataset): number[] => {
  const c = new Array<number>(10).fill(0);
  for (const l of d.labels.data) c[l]! += 1;
  return c;
};

describe('MNIST (the mnist package)', () => {
  it('splits each class 80/20 in package order: 7,996 train and 2,004 held-out digits', async () => {
    const train = await mnist({ split: 'train' });
    const test = await mnist({ split: 'test' });
    // ⌊0.8·n⌋ of the per-class counts 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978.
    assert.deepEqual(countLabels(train), [800, 901, 792, 825, 784, 690, 811, 856, 755, 782]);
    assert.deepEqual(countLabels(test), [201, 226, 199, 207, 196, 173, 203, 214, 189, 196]);
    assert.deepEqual(train.images.shape, [7996, 1, 28, 28]);
    assert.deepEqual(test.labels.shape, [2004]);
    assert.equal(train.classes, 10);
  });
  it('holds out the last 20% of each class: the first test digit of class 3 is the package digit 825 of class 3', async () => {
    const test = await mnist({ split: 'test', classes: [3] });
    const raw = pkg[3]!.raw.slice(825 * 784, 826 * 784);
    const first = test.images.data.subarray(0, 784);
    raw.forEach((v, i) => assert.ok(Math.abs(first[i]! - (2 * v - 1)) <= 0.0011, `pixel ${i}`));
  });
  it('scales the 8-bit pixels p/255 to p/127.5 − 1 in [−1, 1] with background −1', async () => {
    const all = await mnist({ split: 'all', classes: [0] });
    const d = all.images.data;
    let min = Infinity;
    let max = -Infinity;
    for (const v of d) {
      min = Math.min(min, v);
      max = Math.max(max, v);
      const p = Math.round((v + 1) * 127.5);
      assert.equal(v, Math.fround(p / 127.5 - 1));
    }
    assert.equal(min, -1);
    assert.equal(max, 1);
    assert.equal(d[0], -1);
  });
  it('pads to 32×32 with 2 pixels of background, leaving the digit pixel-exact', async () => {
    const small = await mnist({ classes: [7] });
    const big = await mnist({ classes: [7], size: 32 });
    assert.deepEqual(big.images.shape, [small.images.shape[0], 1, 32, 32]);
    const s = small.images.data;
    const b = big.images.data;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const inside = y >= 2 && y < 30 && x >= 2 && x < 30;
        assert.equal(b[y * 32 + x], inside ? s[(y - 2) * 28 + (x - 2)] : -1);
      }
    }
  });
  it('keeps only the requested classes, with their digit labels', async () => {
    const d = await mnist({ classes: [8, 1] });
    assert.deepEqual(countLabels(d), [0, 901, 0, 0, 0, 0, 0, 0, 755, 0]);
    assert.equal(d.labels.data[0], 1);
  });
  it('rejects a misspelt option', () => {
    const r = mnistFromPackage(pkg, { class: [1] } as never);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /unknown option "class"/);
  });
  it('lists every bad option at once', () => {
    const r = mnistFromPackage(pkg, { split: 'val' as 'train', size: 64 as 28, classes: [1, 1, 12] });
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /split must be .*; size must be 28 or 32, got 64; classes must be digits 0–9, got 12; classes must not repeat/);
  });
});

describe('mnistFromDigits', () => {
  const digit = (v: number): number[] => new Array<number>(784).fill(v);
  const tiny = Array.from({ length: 10 }, (_, c) => [...digit(c / 10), ...digit(0.5), ...digit(0), ...digit(0), ...digit(1)]);
  it('takes ⌊0.8·n⌋ of n = 5 digits for training and the rest for testing', () => {
    const train = mnistFromDigits(tiny, { split: 'train', classes: [2] });
    const test = mnistFromDigits(tiny, { split: 'test', classes: [2] });
    assert.ok(E.isRight(train) && E.isRight(test));
    assert.equal(train.right.labels.shape[0], 4);
    assert.equal(test.right.labels.shape[0], 1);
    assert.equal(test.right.images.data[0], 1);
    assert.equal(train.right.images.data[0], Math.fround(Math.round(0.2 * 255) / 127.5 - 1));
  });
  it('rejects data that is not ten classes of 784-value digits in [0, 1]', () => {
    assert.ok(E.isLeft(mnistFromDigits(tiny.slice(0, 9))));
    const ragged = tiny.map((d, c) => (c === 4 ? d.slice(1) : d));
    const r = mnistFromDigits(ragged);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /class 4 has 3919 values/);
    const hot = tiny.map((d, c) => (c === 0 ? d.map(() => 2) : d));
    const r2 = mnistFromDigits(hot);
    assert.ok(E.isLeft(r2));
    assert.match(r2.left.message, /must lie in \[0, 1\]: class 0 digit 0 has value 2/);
    const notPkg = mnistFromPackage({ 0: { raw: [] } });
    assert.ok(E.isLeft(notPkg));
    assert.match(notPkg.left.message, /no digit 1 data/);
  });
});
