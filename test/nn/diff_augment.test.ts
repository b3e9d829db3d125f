import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { key, normal, uniform } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { DiffAugment } from '../../src/nn/index.js';
import * as ops from '../../src/ops/index.js';
import { assertGradients } from '../../src/testing/gradcheck.js';

const apply = (layer: ReturnType<typeof DiffAugment>, x: Tensor, seed: number): Tensor =>
  layer.apply({}, {}, x, { train: true, key: key(seed) })[0];

/** The shifts (tx, ty) with |t| ≤ s such that out[i, j] = x[i + tx, j + ty] (0 outside) for one [H, W] plane. */
function shiftsOf(x: Float32Array, y: Float32Array, h: number, w: number, s: number): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let tx = -s; tx <= s; tx++) for (let ty = -s; ty <= s; ty++) {
    let ok = true;
    for (let i = 0; i < h && ok; i++) for (let j = 0; j < w && ok; j++) {
      const [a, b] = [i + tx, j + ty];
      const want = a >= 0 && a < h && b >= 0 && b < w ? x[a * w + b]! : 0;
      ok = Math.abs(y[i * w + j]! - want) < 1e-6;
    }
    if (ok) found.push([tx, ty]);
  }
  return found;
}

describe('DiffAugment', () => {
  const x = uniform(key(1), [6, 2, 8, 8], 0.1, 1);

  it('translation shifts each sample by at most 1/8 of the side with zero fill, all channels alike', () => {
    const y = apply(DiffAugment({ policy: ['translation'] }), x, 3);
    const shifts = new Set<string>();
    for (let n = 0; n < 6; n++) {
      const plane = (t: Tensor, c: number) => t.data.slice((n * 2 + c) * 64, (n * 2 + c + 1) * 64);
      const s0 = shiftsOf(plane(x, 0), plane(y, 0), 8, 8, 1);
      const s1 = shiftsOf(plane(x, 1), plane(y, 1), 8, 8, 1);
      assert.equal(s0.length, 1, `sample ${n}: not a shift by at most 1 pixel`);
      assert.deepEqual(s1, s0);
      shifts.add(String(s0[0]));
    }
    assert.ok(shifts.size > 1, 'every sample got the same shift');
  });

  it('cutout zeroes one square of half the side (clipped at the edges) per sample and keeps the rest', () => {
    const y = apply(DiffAugment({ policy: ['cutout'] }), x, 4);
    for (let n = 0; n < 6; n++) {
      const zeros: Array<[number, number]> = [];
      for (let c = 0; c < 2; c++) for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) {
        const at = ((n * 2 + c) * 8 + i) * 8 + j;
        if (y.data[at] === 0) zeros.push([i, j]);
        else assert.equal(y.data[at], x.data[at]);
      }
      const is = zeros.map((z) => z[0]);
      const js = zeros.map((z) => z[1]);
      const [hi, hj] = [Math.max(...is) - Math.min(...is) + 1, Math.max(...js) - Math.min(...js) + 1];
      assert.equal(zeros.length, 2 * hi * hj, `sample ${n}: the zeros are not one rectangle in both channels`);
      assert.ok(hi <= 4 && hj <= 4 && (hi === 4 || Math.min(...is) === 0 || Math.max(...is) === 7), `sample ${n}: a ${hi}×${hj} hole`);
    }
  });

  it('colour jitter on one channel shifts the mean by at most ½ and scales the deviations by a factor in [½, 3/2]', () => {
    const g = uniform(key(5), [8, 1, 4, 4]);
    const y = apply(DiffAugment({ policy: ['color'] }), g, 6);
    for (let n = 0; n < 8; n++) {
      const xs = Array.from(g.data.slice(n * 16, n * 16 + 16));
      const ys = Array.from(y.data.slice(n * 16, n * 16 + 16));
      const mx = xs.reduce((a, v) => a + v, 0) / 16;
      const my = ys.reduce((a, v) => a + v, 0) / 16;
      assert.ok(Math.abs(my - mx) <= 0.5 + 1e-6);
      const k = (ys[0]! - my) / (xs[0]! - mx);
      assert.ok(k >= 0.5 - 1e-4 && k <= 1.5 + 1e-4, `factor ${k}`);
      xs.forEach((v, i) => assert.ok(Math.abs(ys[i]! - my - k * (v - mx)) < 1e-4));
    }
  });

  it('is differentiable in x: its gradient matches finite differences', () => {
    const layer = DiffAugment();
    const w = normal(key(7), [2, 2, 8, 8]);
    assertGradients((t: Tensor) => ops.sum(ops.mul(apply(layer, t, 8), w)), normal(key(9), [2, 2, 8, 8]), { maxElementsPerLeaf: 24 });
  });

  it('draws from the key: the same key repeats the augmentation and another key changes it', () => {
    const layer = DiffAugment();
    assert.deepEqual([...apply(layer, x, 11).data], [...apply(layer, x, 11).data]);
    assert.notDeepEqual([...apply(layer, x, 11).data], [...apply(layer, x, 12).data]);
  });

  it('is the identity in evaluation and needs a key in training', () => {
    const layer = DiffAugment();
    assert.equal(layer.apply({}, {}, x, { train: false })[0], x);
    assert.throws(() => layer.apply({}, {}, x, { train: true }), ValueError);
  });
});
