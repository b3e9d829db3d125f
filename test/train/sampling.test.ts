import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key, split } from '../../src/core/random.js';
import { interpolationLatents, sampleLatents, slerp } from '../../src/train/sampling.js';

const close = (a: ArrayLike<number>, b: readonly number[], tol = 1e-12): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

describe('slerp', () => {
  it('walks the quarter circle between orthogonal unit vectors: (cos πt/2, sin πt/2)', () => {
    for (const t of [0, 0.25, 0.5, 1]) close(slerp([1, 0], [0, 1], t), [Math.cos((Math.PI * t) / 2), Math.sin((Math.PI * t) / 2)]);
  });

  it('ends at a and b and keeps the norm between vectors of equal norm', () => {
    const vec = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(vec, vec, fc.double({ min: 0, max: 1, noNaN: true }), (a, b0, t) => {
        const na = Math.hypot(...a);
        const nb = Math.hypot(...b0);
        fc.pre(na > 0.1 && nb > 0.1);
        const b = b0.map((x) => (x * na) / nb);
        const cos = a.reduce((s, x, i) => s + x * b[i]!, 0) / (na * na);
        fc.pre(cos > -0.99);
        close(slerp(a, b, 0), a, 1e-9);
        close(slerp(a, b, 1), b, 1e-9);
        assert.ok(Math.abs(Math.hypot(...slerp(a, b, t)) - na) < 1e-9);
      }),
    );
  });

  it('is the linear blend for parallel vectors', () => {
    close(slerp([1, 2], [2, 4], 0.5), [1.5, 3]);
  });
});

describe('interpolationLatents', () => {
  it('gives walks·steps rows, walk w going from row w of the first prior draw to row w of the second', () => {
    const latent = { dim: 4, prior: 'normal' } as const;
    const z = interpolationLatents({ latent, key: key(1), walks: 3, steps: 5 });
    assert.deepEqual(z.shape, [15, 4]);
    const [ka, kb] = split(key(1));
    const a = sampleLatents(latent, ka!, 3).data;
    const b = sampleLatents(latent, kb!, 3).data;
    for (let w = 0; w < 3; w++) {
      close(z.data.subarray(w * 5 * 4, w * 5 * 4 + 4), Array.from(a.subarray(w * 4, w * 4 + 4)), 1e-6);
      close(z.data.subarray((w * 5 + 4) * 4, (w * 5 + 5) * 4), Array.from(b.subarray(w * 4, w * 4 + 4)), 1e-6);
    }
  });

  it('rejects fewer than 2 steps', () => {
    assert.throws(() => interpolationLatents({ latent: { dim: 2, prior: 'normal' }, key: key(0), walks: 1, steps: 1 }), /at least 2 steps/);
  });
});

describe('sampleLatents', () => {
  it('draws U(−1, 1) for the uniform prior', () => {
    const z = sampleLatents({ dim: 8, prior: 'uniform' }, key(2), 64);
    assert.deepEqual(z.shape, [64, 8]);
    assert.ok(z.data.every((v) => v >= -1 && v < 1));
  });
});
