import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bernoulli,
  foldIn,
  key,
  normal,
  permutation,
  randint,
  randomBits,
  split,
  threefry2x32,
  uniform,
} from '../../src/core/random.js';

const block = (k0: number, k1: number, c0: number, c1: number): number[] => {
  const out = [0, 0];
  threefry2x32(k0, k1, c0, c1, out);
  return out;
};

describe('Threefry-2x32', () => {
  // Random123 kat_vectors (threefry2x32_20), the same vectors JAX's random_test.py checks.
  it('reproduces the Random123 known-answer vector for zero key and counter', () => {
    assert.deepEqual(block(0, 0, 0, 0), [0x6b200159, 0x99ba4efe]);
  });
  it('reproduces the Random123 known-answer vector for all-ones key and counter', () => {
    assert.deepEqual(block(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), [0x1cb996fc, 0xbb002be7]);
  });
  it('reproduces the Random123 known-answer vector for the pi-digits key and counter', () => {
    assert.deepEqual(block(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3), [0xc4923a9c, 0x483df7a0]);
  });
});

describe('keys match JAX (jax.random with the default threefry2x32 PRNG)', () => {
  it('key(0) is PRNGKey(0) = [0, 0] and key(2**32 + 5) splits the seed into words', () => {
    assert.deepEqual([...key(0)], [0, 0]);
    assert.deepEqual([...key(2 ** 32 + 5)], [1, 5]);
    assert.deepEqual([...key(-1)], [0xffffffff, 0xffffffff]);
  });
  it('split(key(0), 8) equals jax.random.split(jax.random.key(0), 8)', () => {
    assert.deepEqual(split(key(0), 8).map((k) => [...k]), [
      [1797259609, 2579123966],
      [928981903, 3453687069],
      [4146024105, 2718843009],
      [2467461003, 3840466878],
      [2285895361, 433833334],
      [1524306142, 1887795613],
      [3792494674, 2909014575],
      [2716826189, 292468403],
    ]);
  });
  it('foldIn(key, i) equals split(key, n)[i] as in partitionable JAX', () => {
    assert.deepEqual([...foldIn(key(0), 2)], [4146024105, 2718843009]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 9 }), (seed, i) => {
        assert.deepEqual(foldIn(key(seed), i), split(key(seed), 10)[i]);
      }),
      { numRuns: 30 },
    );
  });
  it('randomBits word i is x0 ⊕ x1 of the Threefry block at counter (0, i), for any key', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 1, max: 300 }), (k0, k1, n) => {
        const bits = randomBits([k0, k1], n);
        const want = Array.from({ length: n }, (_, i) => {
          const [x0, x1] = block(k0, k1, 0, i) as [number, number];
          return (x0 ^ x1) >>> 0;
        });
        assert.deepEqual([...bits], want);
      }),
      { numRuns: 50 },
    );
  });
  it('randomBits of a longer draw extends a shorter one (element i depends only on i)', () => {
    assert.deepEqual(randomBits(key(7), 100).subarray(0, 37), randomBits(key(7), 37));
  });
});

describe('key derivation', () => {
  it('is deterministic: the same key gives the same numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
        assert.deepEqual(uniform(key(seed), [5]).data, uniform(key(seed), [5]).data);
      }),
      { numRuns: 50 },
    );
  });
  it('gives distinct subkeys from split and from foldIn with distinct data', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 2, max: 16 }), (seed, n) => {
        const ks = split(key(seed), n).map((k) => k.join(','));
        assert.equal(new Set(ks).size, n);
        const f = [0, 1, 2, 3].map((d) => foldIn(key(seed), d).join(','));
        assert.equal(new Set(f).size, 4);
      }),
      { numRuns: 50 },
    );
  });
  it('rejects malformed keys with a message naming the expected form', () => {
    assert.throws(() => split([1, -1] as unknown as [number, number]), /two uint32 words/);
    assert.throws(() => key(0.5), /safe integer/);
  });
});

describe('distributions', () => {
  const n = 20000;
  it('uniform lies in [min, max) with mean and variance of U(min, max)', () => {
    const u = uniform(key(1), [n], -1, 3).data;
    let s = 0;
    let s2 = 0;
    for (const x of u) {
      assert.ok(x >= -1 && x < 3);
      s += x;
      s2 += x * x;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(v - 16 / 12) < 0.05, `variance ${v}`);
  });
  it('normal has mean ≈ 0, std ≈ 1 and ≈ 68.3% of mass within one std', () => {
    const z = normal(key(2), [n]).data;
    let s = 0;
    let s2 = 0;
    let within = 0;
    for (const x of z) {
      assert.ok(Number.isFinite(x));
      s += x;
      s2 += x * x;
      if (Math.abs(x) < 1) within++;
    }
    const mean = s / n;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(Math.sqrt(s2 / n - mean * mean) - 1) < 0.03);
    assert.ok(Math.abs(within / n - 0.6827) < 0.015, `within ${within / n}`);
  });
  it('bernoulli(p) has frequency ≈ p', () => {
    const b = bernoulli(key(3), 0.3, [n]).data;
    const f = b.reduce((a, x) => a + x, 0) / n;
    assert.ok(Math.abs(f - 0.3) < 0.02, `frequency ${f}`);
    assert.throws(() => bernoulli(key(3), 1.5, [2]), /0 <= p <= 1/);
  });
  it('randint stays in [min, max) and hits every value', () => {
    const r = randint(key(4), [n], -3, 4);
    const seen = new Set<number>();
    for (const x of r) {
      assert.ok(x >= -3 && x < 4);
      seen.add(x);
    }
    assert.equal(seen.size, 7);
  });
  it('permutation is a permutation of 0..n-1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 300 }), (seed, m) => {
        const p = [...permutation(key(seed), m)].sort((a, b) => a - b);
        assert.deepEqual(p, Array.from({ length: m }, (_, i) => i));
      }),
      { numRuns: 50 },
    );
  });
});
