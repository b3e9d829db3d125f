import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grid100, grid25, gridMixture, modeMetrics, ring8, ringMixture, sampleMixture } from '../../src/data/gaussians.js';
import { key } from '../../src/core/random.js';
import { tensor } from '../../src/core/tensor.js';

const close = (a: number, b: number, tol = 1e-12): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const pts = (xy: number[][]) => tensor([xy.length, 2], xy.flat());

describe('2-D Gaussian mixtures', () => {
  it('puts the ring of 8 on the circle of radius 2, starting at (2, 0), std 0.02', () => {
    const s = Math.SQRT2;
    const want = [[2, 0], [s, s], [0, 2], [-s, s], [-2, 0], [-s, -s], [0, -2], [s, -s]];
    ring8.means.forEach(([x, y], i) => {
      close(x, want[i]![0]!, 1e-15);
      close(y, want[i]![1]!, 1e-15);
    });
    assert.equal(ring8.std, 0.02);
  });
  it('puts the 5×5 grid on {−4, −2, 0, 2, 4}² (std 0.05) and the 10×10 grid on {−9, −7, …, 9}²', () => {
    const g = [-4, -2, 0, 2, 4];
    assert.deepEqual(grid25.means.map((m) => [...m]).sort(), g.flatMap((x) => g.map((y) => [x, y])).sort());
    assert.equal(grid25.std, 0.05);
    const h = [-9, -7, -5, -3, -1, 1, 3, 5, 7, 9];
    assert.deepEqual(grid100.means.map((m) => [...m]).sort(), h.flatMap((x) => h.map((y) => [x, y])).sort());
  });
  it('samples the same points from the same key, and other points from another', () => {
    const a = sampleMixture(ring8, key(1), 50);
    assert.deepEqual(a, sampleMixture(ring8, key(1), 50));
    assert.notDeepEqual(a.data, sampleMixture(ring8, key(2), 50).data);
    assert.deepEqual(a.shape, [50, 2]);
  });
  it('real samples score as the papers expect of the data itself: every mode, ≈ 98.9% within 3 std, KL near 0', () => {
    for (const mixture of [ring8, grid25, grid100]) {
      const m = modeMetrics(mixture, sampleMixture(mixture, key(0), 20_000));
      assert.equal(m.modesCovered, mixture.means.length);
      // P(|N(0, I₂)| < 3) = 1 − e^(−9/2) = 0.98889; 20,000 samples give a std error of 0.0007.
      close(m.highQualityFraction, 1 - Math.exp(-4.5), 0.004);
      assert.ok(m.klFromUniform < 0.01, `${mixture.name}: KL ${m.klFromUniform}`);
    }
  });
  it('rejects mixtures without modes or with a non-positive std', () => {
    assert.throws(() => ringMixture({ modes: 0, radius: 1, std: 1 }), /positive integer number of modes/);
    assert.throws(() => gridMixture({ side: 2, spacing: 1, std: 0 }), /positive finite std/);
  });
});

describe('mode metrics (PacGAN / VEEGAN rule)', () => {
  it('counts hand-placed points: three modes hit exactly give 3 modes, 100% quality, KL = log(8/3)', () => {
    const m = modeMetrics(ring8, pts([[2, 0], [0, 2], [0, 2], [-2, 0]]));
    assert.equal(m.modesCovered, 3);
    assert.equal(m.highQualityFraction, 1);
    // q = (1/4, 1/2, 1/4) on 3 of 8 modes: Σ q log(8q) = ¼log2 + ½log4 + ¼log2 = 1.5·log 2.
    close(m.klFromUniform, 1.5 * Math.log(2));
    assert.deepEqual(m.counts, [1, 0, 2, 0, 1, 0, 0, 0]);
  });
  it('counts a sample at 2.9 std from a mode as high quality and one at 3.1 std as not', () => {
    const m = modeMetrics(ring8, pts([[2 + 2.9 * 0.02, 0], [0, 2 - 3.1 * 0.02]]));
    assert.deepEqual(m.counts, [1, 0, 0, 0, 0, 0, 0, 0]);
    close(m.highQualityFraction, 0.5);
  });
  it('gives 0 modes, 0 quality and KL = log K for samples far from every mode', () => {
    const m = modeMetrics(grid25, pts([[1, 1], [3, 3], [100, 0]]));
    assert.equal(m.modesCovered, 0);
    assert.equal(m.highQualityFraction, 0);
    close(m.klFromUniform, Math.log(25));
  });
  it('a mode needs minCount high-quality samples to be covered', () => {
    const p = pts([[2, 0], [2, 0], [0, 2]]);
    assert.equal(modeMetrics(ring8, p, { minCount: 2 }).modesCovered, 1);
    assert.equal(modeMetrics(ring8, p).modesCovered, 2);
  });
  it('KL is never negative and at most log K, and is 0 for an exactly uniform histogram', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 40 }), (modes) => {
        const m = modeMetrics(ring8, pts(modes.map((j) => [...ring8.means[j]!])));
        assert.ok(m.klFromUniform >= -1e-12 && m.klFromUniform <= Math.log(8) + 1e-12);
      }),
    );
    close(modeMetrics(ring8, pts(ring8.means.map((m) => [...m]))).klFromUniform, 0);
  });
  it('rejects a misspelt option', () => {
    assert.throws(() => modeMetrics(ring8, pts([[2, 0]]), { minCounts: 2 } as never), /modeMetrics: unknown option "minCounts"/);
  });
  it('rejects points that are not [n, 2]', () => {
    assert.throws(() => modeMetrics(ring8, tensor([3], [0, 0, 0])), /points \[n, 2\]/);
  });
});
