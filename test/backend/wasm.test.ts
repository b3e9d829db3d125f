/**
 * The wasm backend against the reference backend (the oracle): GEMM in every transpose
 * variant, conv forward / grad-input / grad-weight, im2col/col2im and the
 * power-iteration step, on random and awkward shapes, for both builds (plain SIMD and relaxed
 * FMA). Tolerances are the float32 dot-product error bound γ_k·Σ|a||b| (k = reduction length),
 * not a guess: both backends are exact up to rounding, so any larger difference is a bug.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadWasmBackend, type WasmBackend, type WasmVariant } from '../../src/backend/wasm/index.js';
import { referenceBackend as R } from '../../src/backend/reference.js';
import { convGeometry } from '../../src/backend/geometry.js';
import type { ConvGeometry } from '../../src/backend/backend.js';
import { ArenaError, BackendError, ShapeError } from '../../src/core/errors.js';
import { arbConvGeometry } from '../../src/testing/index.js';
import { loadBackend } from '../../src/backend/load.js';
import { init } from '../../src/index.js';
import { useBackend } from '../../src/backend/current.js';
import { mulberry } from '../helpers/seeded.js';
import { abs, assertWithinDotBound as dotBound } from '../helpers/dot_bound.js';

/** The dot-product error bound, with the backend's name in failures. */
const assertWithinDotBound = (got: Float32Array, want: Float32Array, bound: Float32Array, k: number, what: string): void =>
  dotBound({ got, want, bound, k, what, who: 'wasm' });
const dims = fc.oneof(fc.constantFrom(1, 3, 7, 17, 65), fc.integer({ min: 1, max: 40 }));

for (const variant of ['simd', 'relaxed'] as WasmVariant[]) {
  describe(`wasm backend (${variant}) agrees with the reference backend`, () => {
    let W: WasmBackend;
    before(async () => {
      W = await loadWasmBackend({ variant });
      assert.equal(W.variant, variant);
    });

    it('gemm NN/NT/TN/TT on random shapes, incl. 1, 3, 7, 17, 65', () => {
      fc.assert(
        fc.property(
          dims, dims, dims, fc.boolean(), fc.boolean(), fc.integer(),
          (m, n, k, transA, transB, seed) => {
            const rnd = mulberry(seed);
            const a = Float32Array.from({ length: m * k }, () => rnd() * 4 - 2);
            const b = Float32Array.from({ length: k * n }, () => rnd() * 4 - 2);
            const spec = { m, n, k, transA, transB };
            assertWithinDotBound(W.gemm(a, b, spec), R.gemm(a, b, spec), R.gemm(abs(a), abs(b), spec), k, `gemm ${JSON.stringify(spec)}`);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('gemm across cache blocks (k > 256, n > 1536, m > 96)', () => {
      for (const [m, n, k] of [[97, 1600, 300], [130, 9, 513]] as const) {
        const rnd = mulberry(m + n + k);
        const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
        const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
        for (const [transA, transB] of [[false, false], [true, true]] as const) {
          const spec = { m, n, k, transA, transB };
          assertWithinDotBound(W.gemm(a, b, spec), R.gemm(a, b, spec), R.gemm(abs(a), abs(b), spec), k, `gemm ${JSON.stringify(spec)}`);
        }
      }
    });

    it('gemm with k = 0 gives zeros, m or n = 0 gives an empty result', () => {
      assert.deepEqual(Array.from(W.gemm(new Float32Array(0), new Float32Array(0), { m: 2, n: 3, k: 0, transA: false, transB: false })), [0, 0, 0, 0, 0, 0]);
      assert.equal(W.gemm(new Float32Array(0), new Float32Array(6), { m: 0, n: 3, k: 2, transA: false, transB: false }).length, 0);
    });

    const convCheck = (g: ConvGeometry, seed: number): void => {
      const rnd = mulberry(seed);
      const x = Float32Array.from({ length: g.n * g.c * g.h * g.w }, () => rnd() * 2 - 1);
      const w = Float32Array.from({ length: g.o * g.c * g.kh * g.kw }, () => rnd() * 2 - 1);
      const dy = Float32Array.from({ length: g.n * g.o * g.oh * g.ow }, () => rnd() * 2 - 1);
      const tag = JSON.stringify(g);
      const kf = g.c * g.kh * g.kw;
      assertWithinDotBound(W.conv2d(x, w, g), R.conv2d(x, w, g), R.conv2d(abs(x), abs(w), g), kf, `conv2d ${tag}`);
      const ki = g.o * g.kh * g.kw;
      assertWithinDotBound(W.conv2dGradInput(dy, w, g), R.conv2dGradInput(dy, w, g), R.conv2dGradInput(abs(dy), abs(w), g), ki, `grad-input ${tag}`);
      const kw = g.n * g.oh * g.ow;
      assertWithinDotBound(W.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(abs(x), abs(dy), g), kw, `grad-weight ${tag}`);
    };

    it('conv2d forward, grad-input and grad-weight on random geometries (strides 1–3, padding 0–2, dilation 1–2)', () => {
      fc.assert(fc.property(arbConvGeometry({ maxBatch: 3, maxChannels: 5 }), fc.integer(), (g, seed) => convCheck(g, seed)), { numRuns: 60 });
    });

    it('conv on 65×65 inputs, batch 1, across im2col chunks, and with unread or 9-times-read input pixels', () => {
      fc.assert(
        fc.property(arbConvGeometry({ sizes: [65], maxSize: 65, maxBatch: 1, maxChannels: 2 }), fc.integer(), (g, seed) => convCheck(g, seed)),
        { numRuns: 8 },
      );
      convCheck(convGeometry([1, 3, 65, 17], [2, 3, 3, 3], { stride: 3, padding: 2 }), 7);
      convCheck(convGeometry([1, 1, 1, 1], [1, 1, 1, 1]), 8);
      // col2im's inverse table: pixels no tap reads (k1 s3) and pixels read by all 9 taps (k3 d2).
      convCheck(convGeometry([2, 2, 9, 10], [3, 2, 1, 1], { stride: 3 }), 9);
      convCheck(convGeometry([2, 2, 9, 9], [2, 2, 3, 3], { padding: 2, dilation: 2 }), 10);
    });

    it('im2col and col2im are adjoint: <im2col(x), c> = <x, col2im(c)>', () => {
      fc.assert(
        fc.property(arbConvGeometry(), fc.integer(), (g, seed) => {
          const rnd = mulberry(seed);
          const x = Float32Array.from({ length: g.n * g.c * g.h * g.w }, () => rnd() - 0.5);
          const col = Float32Array.from({ length: g.c * g.kh * g.kw * g.n * g.oh * g.ow }, () => rnd() - 0.5);
          const lhs = dot(W.im2col(x, g), col);
          const rhs = dot(x, W.col2im(col, g));
          assert.ok(Math.abs(lhs - rhs) <= 1e-4 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
        }),
        { numRuns: 40 },
      );
    });

    it('one power-iteration step matches the reference (u, v, sigma)', () => {
      fc.assert(
        fc.property(dims, dims, fc.integer(), (rows, cols, seed) => {
          const rnd = mulberry(seed);
          const w = Float32Array.from({ length: rows * cols }, () => rnd() - 0.5);
          const u = Float32Array.from({ length: rows }, () => rnd() - 0.5);
          const a = W.powerIteration(w, rows, cols, u);
          const b = R.powerIteration(w, rows, cols, u);
          assert.ok(Math.abs(a.sigma - b.sigma) <= 1e-5 * (1 + b.sigma), `sigma ${a.sigma} vs ${b.sigma}`);
          for (let i = 0; i < rows; i++) assert.ok(Math.abs(a.u[i]! - b.u[i]!) <= 1e-5, `u[${i}]`);
          for (let j = 0; j < cols; j++) assert.ok(Math.abs(a.v[j]! - b.v[j]!) <= 1e-5, `v[${j}]`);
        }),
        { numRuns: 40 },
      );
      // A zero u gives v = 0 and sigma = 0 (eps guards the division), as in PyTorch.
      const z = W.powerIteration(new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array(2));
      assert.deepEqual(Array.from(z.v), [0, 0]);
      assert.equal(z.sigma, 0);
    });

    it('NaN passes through unchanged and stays in its own rows/columns', () => {
      const m = 5, n = 9, k = 6;
      const a = Float32Array.from({ length: m * k }, (_, i) => (i % 7) - 3);
      const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) - 2);
      a[2 * k + 3] = NaN; // row 2 of A
      const spec = { m, n, k, transA: false, transB: false };
      const got = W.gemm(a, b, spec);
      const want = R.gemm(a, b, spec);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          if (i === 2) assert.ok(Number.isNaN(got[i * n + j]!), `C[2, ${j}] should be NaN`);
          else assert.equal(got[i * n + j], want[i * n + j]);
        }
      const g = convGeometry([1, 1, 6, 6], [2, 1, 3, 3], { padding: 1 });
      const x = new Float32Array(36).fill(1);
      x[0] = NaN;
      const y = W.conv2d(x, new Float32Array(18).fill(1), g);
      const yr = R.conv2d(x, new Float32Array(18).fill(1), g);
      for (let i = 0; i < y.length; i++) assert.equal(Number.isNaN(y[i]!), Number.isNaN(yr[i]!), `y[${i}]`);
    });

    it('wrong buffer sizes are ShapeErrors naming the expected shape', () => {
      assert.throws(() => W.gemm(new Float32Array(5), new Float32Array(6), { m: 2, n: 3, k: 2, transA: false, transB: false }), (e: unknown) => e instanceof ShapeError && /A has 5 elements, expected m·k = 4/.test(e.message));
      const g = convGeometry([1, 2, 5, 5], [3, 2, 3, 3]);
      assert.throws(() => W.conv2d(new Float32Array(49), new Float32Array(54), g), (e: unknown) => e instanceof ShapeError && /\[1, 2, 5, 5\]/.test(e.message));
      assert.throws(() => W.powerIteration(new Float32Array(6), 2, 3, new Float32Array(3)), ShapeError);
    });
  });
}

describe('wasm backend memory', () => {
  it('grows linear memory on demand and stays correct', async () => {
    const W = await loadWasmBackend({ variant: 'simd' });
    const before = W.memoryBytes();
    const m = 600, k = 700, n = 500;
    const rnd = mulberry(3);
    const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
    const spec = { m, n, k, transA: false, transB: false };
    const got = W.gemm(a, b, spec);
    assert.ok(W.memoryBytes() > before, `memory grew from ${before} to ${W.memoryBytes()}`);
    assertWithinDotBound(got, R.gemm(a, b, spec), R.gemm(abs(a), abs(b), spec), k, 'gemm after growth');
  });

  it('running out of arena is an ArenaError naming the sizes, and the backend keeps working', async () => {
    const W = await loadWasmBackend({ variant: 'simd', maxMemoryBytes: 8 * 2 ** 20 });
    const big = new Float32Array(1024 * 1024); // 4 MiB each: A, B and C do not fit in 8 MiB with scratch
    assert.throws(
      () => W.gemm(big, big, { m: 1024, n: 1024, k: 1024, transA: false, transB: false }),
      (e: unknown) => e instanceof ArenaError && e.limitBytes === 8 * 2 ** 20 && e.requestedBytes > e.limitBytes && /maxMemoryBytes/.test(e.message),
    );
    const c = W.gemm(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), { m: 2, n: 2, k: 2, transA: false, transB: false });
    assert.deepEqual(Array.from(c), [19, 22, 43, 50]);
  });

  it('conv chunks over images when the im2col buffer would exceed its budget (whole and partial last chunks)', async () => {
    const g = convGeometry([5, 3, 9, 9], [4, 3, 3, 3], { stride: 2, padding: 1 }); // one image's col = 27·25 = 675 floats
    const rnd = mulberry(9);
    const x = Float32Array.from({ length: 5 * 3 * 81 }, () => rnd() - 0.5);
    const w = Float32Array.from({ length: 4 * 27 }, () => rnd() - 0.5);
    const dy = Float32Array.from({ length: 5 * 4 * 25 }, () => rnd() - 0.5);
    // 300 floats: chunks of 1 image; 1400: chunks of 2, 2, 1 (col2im's table is refilled for the last).
    for (const colBudgetFloats of [300, 1400]) {
      const W = await loadWasmBackend({ variant: 'simd', colBudgetFloats });
      const tag = `budget ${colBudgetFloats}`;
      assertWithinDotBound(W.conv2d(x, w, g), R.conv2d(x, w, g), R.conv2d(abs(x), abs(w), g), 27, `chunked conv2d, ${tag}`);
      assertWithinDotBound(W.conv2dGradInput(dy, w, g), R.conv2dGradInput(dy, w, g), R.conv2dGradInput(abs(dy), abs(w), g), 36, `chunked grad-input, ${tag}`);
      assertWithinDotBound(W.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(abs(x), abs(dy), g), 125, `chunked grad-weight, ${tag}`);
    }
  });

  it('rejects bad options with a BackendError', async () => {
    await assert.rejects(loadWasmBackend({ maxMemoryBytes: 5 }), BackendError);
    await assert.rejects(loadWasmBackend({ variant: 'avx' as never }), /unknown wasm variant "avx"/);
    await assert.rejects(loadWasmBackend({ sources: { simd: new URL('file:///nonexistent/puregan.wasm') }, variant: 'simd' }), /cannot read the simd wasm kernels/);
  });

  it('"wasm" picks the relaxed build where the engine supports it (Node 20 with the V8 flag)', async () => {
    const b = await loadBackend('wasm');
    assert.ok(b._tag === 'Right');
    assert.match(b.right.description, /relaxed SIMD/);
  });
});

describe('wasm backend with threads', () => {
  let one: WasmBackend;
  let two: WasmBackend;
  before(async () => {
    one = await loadWasmBackend({ variant: 'relaxed' });
    two = await loadWasmBackend({ variant: 'relaxed', threads: 2, maxMemoryBytes: 256 * 2 ** 20 });
    assert.equal(two.threads, 2);
  });
  const same = (a: Float32Array, b: Float32Array, what: string): void => {
    assert.equal(a.length, b.length, what);
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  };

  it('gemm split by rows or columns is bitwise identical to one thread', () => {
    const big = fc.constantFrom(5, 17, 65, 130, 301);
    fc.assert(
      fc.property(big, big, big, fc.boolean(), fc.boolean(), fc.integer(), (m, n, k, transA, transB, seed) => {
        const rnd = mulberry(seed);
        const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
        const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
        const spec = { m, n, k, transA, transB };
        same(two.gemm(a, b, spec), one.gemm(a, b, spec), `gemm ${JSON.stringify(spec)}`);
      }),
      { numRuns: 30 },
    );
  });

  it('conv forward, grad-input, grad-weight (threaded GEMM, im2col and col2im) are bitwise identical to one thread', () => {
    fc.assert(
      fc.property(arbConvGeometry({ maxBatch: 9, maxChannels: 24, sizes: [7, 17, 28], maxSize: 28 }), fc.integer(), (g, seed) => {
        const rnd = mulberry(seed);
        const x = Float32Array.from({ length: g.n * g.c * g.h * g.w }, () => rnd() - 0.5);
        const w = Float32Array.from({ length: g.o * g.c * g.kh * g.kw }, () => rnd() - 0.5);
        const dy = Float32Array.from({ length: g.n * g.o * g.oh * g.ow }, () => rnd() - 0.5);
        const tag = JSON.stringify(g);
        same(two.conv2d(x, w, g), one.conv2d(x, w, g), `conv2d ${tag}`);
        same(two.conv2dGradInput(dy, w, g), one.conv2dGradInput(dy, w, g), `grad-input ${tag}`);
        same(two.conv2dGradWeight(x, dy, g), one.conv2dGradWeight(x, dy, g), `grad-weight ${tag}`);
      }),
      { numRuns: 25 },
    );
    // A grad-weight whose GEMM (N = c·kh·kw = 32) is split into 16-column slices, which read A in
    // place where the whole product packs it: the sums must still come out in the same order.
    {
      const g2 = convGeometry([6, 8, 28, 23], [9, 8, 2, 2]);
      const rnd2 = mulberry(0);
      const x2 = Float32Array.from({ length: 6 * 8 * 28 * 23 }, () => rnd2() - 0.5);
      const dy2 = Float32Array.from({ length: 6 * 9 * 27 * 22 }, () => rnd2() - 0.5);
      same(two.conv2dGradWeight(x2, dy2, g2), one.conv2dGradWeight(x2, dy2, g2), 'grad-weight split into in-place-A slices');
    }
    // The benchmark GAN's largest layer, large enough to be split every way.
    const g = convGeometry([16, 64, 14, 14], [128, 64, 4, 4], { stride: 2, padding: 1 });
    const rnd = mulberry(5);
    const x = Float32Array.from({ length: 16 * 64 * 196 }, () => rnd() - 0.5);
    const w = Float32Array.from({ length: 128 * 64 * 16 }, () => rnd() - 0.5);
    const dy = Float32Array.from({ length: 16 * 128 * 49 }, () => rnd() - 0.5);
    same(two.conv2d(x, w, g), one.conv2d(x, w, g), 'conv2d 64→128');
    same(two.conv2dGradInput(dy, w, g), one.conv2dGradInput(dy, w, g), 'grad-input 64→128');
    same(two.conv2dGradWeight(x, dy, g), one.conv2dGradWeight(x, dy, g), 'grad-weight 64→128');
  });

  it('workers see memory grown by the calling thread', () => {
    const m = 700, k = 800, n = 600; // ~6.5 MB of operands: grows the shared memory
    const before = two.memoryBytes();
    const rnd = mulberry(11);
    const a = Float32Array.from({ length: m * k }, () => rnd() - 0.5);
    const b = Float32Array.from({ length: k * n }, () => rnd() - 0.5);
    const spec = { m, n, k, transA: false, transB: false };
    same(two.gemm(a, b, spec), one.gemm(a, b, spec), 'gemm after growth');
    assert.ok(two.memoryBytes() > before);
  });

  it('runs out of arena with an ArenaError, not a hang', () => {
    const big = new Float32Array(8 * 2 ** 20); // A and B 32 MiB each; C 8192² floats = 256 MiB > the limit
    assert.throws(() => two.gemm(big, big, { m: 8192, n: 8192, k: 1024, transA: false, transB: false }), ArenaError);
  });

  it('init() uses every core up to 4 by default in Node, and exactly what it is given otherwise', async () => {
    const { availableParallelism } = await import('node:os');
    const auto = (await init()) as WasmBackend;
    assert.equal(auto.threads, Math.min(4, availableParallelism()));
    const single = (await init({ threads: 1 })) as WasmBackend;
    assert.equal(single.threads, 1);
    await assert.rejects(init({ threads: 0 }), /threads must be an integer between 1 and 64/);
    await auto.close();
    useBackend(R);
  });

  it('workers that never poll (spinMs 0) or poll long (spinMs 5) give one thread\'s bits; a bad spinMs is a BackendError', async () => {
    await assert.rejects(loadWasmBackend({ threads: 2, spinMs: -1 }), /spinMs must be a number of ms ≥ 0, got -1/);
    await assert.rejects(loadWasmBackend({ threads: 2, spinMs: Number.NaN }), BackendError);
    const rnd = mulberry(5);
    const g = convGeometry([6, 8, 12, 12], [16, 8, 4, 4], { stride: 2, padding: 1 });
    const x = Float32Array.from({ length: 6 * 8 * 144 }, () => rnd() - 0.5);
    const w = Float32Array.from({ length: 16 * 8 * 16 }, () => rnd() - 0.5);
    const a = Float32Array.from({ length: 256 * 300 }, () => rnd() - 0.5); // 2·256²·300 flops: split across the threads
    const spec = { m: 256, n: 256, k: 300, transA: false, transB: true };
    for (const spinMs of [0, 5]) {
      const b = await loadWasmBackend({ variant: 'relaxed', threads: 2, spinMs, maxMemoryBytes: 64 * 2 ** 20 });
      for (let rep = 0; rep < 3; rep++) {
        same(b.gemm(a, a, spec), one.gemm(a, a, spec), `gemm, spinMs ${spinMs}`);
        same(b.conv2d(x, w, g), one.conv2d(x, w, g), `conv2d, spinMs ${spinMs}`);
      }
      await b.close();
    }
  });

  it('a GEMM far below the default split threshold, split across the threads with gemmMinSplitFlops 0, gives one thread\'s bits; a bad value is a BackendError', async () => {
    await assert.rejects(loadWasmBackend({ threads: 2, gemmMinSplitFlops: -1 }), /gemmMinSplitFlops must be a number of flops ≥ 0, got -1/);
    await assert.rejects(loadWasmBackend({ threads: 2, gemmMinSplitFlops: Number.NaN }), BackendError);
    const rnd = mulberry(6);
    // 2·64·40·24 flops, far below the default threshold: split only when asked.
    const a = Float32Array.from({ length: 64 * 24 }, () => rnd() - 0.5);
    const bT = Float32Array.from({ length: 40 * 24 }, () => rnd() - 0.5);
    const spec = { m: 64, n: 40, k: 24, transA: false, transB: true };
    const splitting = await loadWasmBackend({ variant: 'relaxed', threads: 2, gemmMinSplitFlops: 0, maxMemoryBytes: 64 * 2 ** 20 });
    for (let rep = 0; rep < 3; rep++) same(splitting.gemm(a, bT, spec), one.gemm(a, bT, spec), 'a split small GEMM');
    await splitting.close();
  });

  it('rejects a bad thread count and closes its workers', async () => {
    await assert.rejects(loadWasmBackend({ threads: 0 }), /threads must be an integer between 1 and 64/);
    const b = await loadWasmBackend({ variant: 'simd', threads: 3 });
    const single = await loadWasmBackend({ variant: 'simd' });
    assert.equal(b.threads, 3);
    const rnd = mulberry(2);
    const a = Float32Array.from({ length: 200 * 300 }, () => rnd() - 0.5);
    const spec = { m: 200, n: 200, k: 300, transA: false, transB: true };
    same(b.gemm(a, a, spec), single.gemm(a, a, spec), 'three threads');
    await b.close();
    assert.throws(() => b.gemm(a, a, spec), /this wasm backend was closed/);
    await two.close();
  });
});

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

