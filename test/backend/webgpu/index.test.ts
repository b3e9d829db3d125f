/**
 * The WebGPU backend's eager kernels against the reference backend (the oracle): GEMM in every
 * transpose variant, conv forward / grad-input / grad-weight on random geometries (stride,
 * padding, dilation), the power-iteration step; and its faults as typed errors. Shapes are
 * small: on SwiftShader every new shape is a shader compile. The GEMM tolerance is the float32
 * dot-product error bound γ_k·Σ|a||b| (k = reduction length), as for the wasm backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { referenceBackend as R } from '../../../src/backend/reference.js';
import { convGeometry } from '../../../src/backend/geometry.js';
import type { ConvGeometry } from '../../../src/backend/backend.js';
import { BackendError, ShapeError } from '../../../src/core/errors.js';
import { loadBackend } from '../../../src/backend/load.js';
import { createWebGPUBackend } from '../../../src/backend/webgpu/index.js';
import { WebGPUError } from '../../../src/backend/webgpu/errors.js';
import { mulberry } from '../../helpers/seeded.js';
import { webgpu, webgpuSkip } from '../../helpers/webgpu.js';
import { abs, assertWithinDotBound as dotBound, U } from '../../helpers/dot_bound.js';

/** The dot-product error bound, with the backend's name in failures. */
const assertWithinDotBound = (got: Float32Array, want: Float32Array, bound: Float32Array, k: number, what: string): void =>
  dotBound({ got, want, bound, k, what, who: 'webgpu' });
const random = (n: number, seed: number): Float32Array => {
  const rnd = mulberry(seed);
  return Float32Array.from({ length: n }, () => rnd() * 4 - 2);
};

const arbGeometry: fc.Arbitrary<ConvGeometry> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 3, max: 7 }),
    w: fc.integer({ min: 3, max: 7 }),
    o: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 3 }),
    stride: fc.integer({ min: 1, max: 2 }),
    padding: fc.integer({ min: 0, max: 1 }),
    dilation: fc.integer({ min: 1, max: 2 }),
  })
  .filter((r) => r.h + 2 * r.padding >= r.dilation * (r.k - 1) + 1 && r.w + 2 * r.padding >= r.dilation * (r.k - 1) + 1)
  .map((r) => convGeometry([r.n, r.c, r.h, r.w], [r.o, r.c, r.k, r.k], { stride: r.stride, padding: r.padding, dilation: r.dilation }));

describe('webgpu backend agrees with the reference backend', { skip: webgpuSkip }, () => {
  const W = webgpu!;

  it('gemm NN/NT/TN/TT on random shapes, including ones that are not multiples of the 16×16 tile', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.boolean(), fc.integer(), (m, n, k, transA, transB, seed) => {
        const a = random(m * k, seed);
        const b = random(k * n, seed + 1);
        const spec = { m, n, k, transA, transB };
        assertWithinDotBound(W.gemm(a, b, spec), R.gemm(a, b, spec), R.gemm(abs(a), abs(b), spec), k, `gemm ${JSON.stringify(spec)}`);
      }),
      { numRuns: 6 },
    );
  });

  it('gemm with k = 0 gives zeros, and m = 0 an empty result', () => {
    assert.deepEqual(Array.from(W.gemm(new Float32Array(0), new Float32Array(0), { m: 2, n: 3, k: 0, transA: false, transB: false })), [0, 0, 0, 0, 0, 0]);
    assert.equal(W.gemm(new Float32Array(0), new Float32Array(6), { m: 0, n: 3, k: 2, transA: false, transB: false }).length, 0);
  });

  it('conv2d, its input gradient and its weight gradient match the reference on random geometries', () => {
    fc.assert(
      fc.property(arbGeometry, fc.integer(), (g, seed) => {
        const x = random(g.n * g.c * g.h * g.w, seed);
        const w = random(g.o * g.c * g.kh * g.kw, seed + 1);
        const dy = random(g.n * g.o * g.oh * g.ow, seed + 2);
        const what = JSON.stringify(g);
        assertWithinDotBound(W.conv2d(x, w, g), R.conv2d(x, w, g), R.conv2d(abs(x), abs(w), g), g.c * g.kh * g.kw, `conv2d ${what}`);
        assertWithinDotBound(W.conv2dGradInput(dy, w, g), R.conv2dGradInput(dy, w, g), R.conv2dGradInput(abs(dy), abs(w), g), g.o * g.kh * g.kw, `grad-input ${what}`);
        assertWithinDotBound(W.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(x, dy, g), R.conv2dGradWeight(abs(x), abs(dy), g), g.n * g.oh * g.ow, `grad-weight ${what}`);
      }),
      { numRuns: 4 },
    );
  });

  it('the power-iteration step matches the reference (u, v and sigma), also with more columns than workgroup threads', () => {
    for (const [rows, cols] of [[4, 27], [3, 300], [17, 5]] as const) {
      const w = random(rows * cols, rows * cols);
      const u = random(rows, rows);
      const got = W.powerIteration(w, rows, cols, u);
      const want = R.powerIteration(w, rows, cols, u);
      const tol = 4 * (rows + cols) * U;
      got.u.forEach((v, i) => assert.ok(Math.abs(v - want.u[i]!) <= tol, `u[${i}] ${v} vs ${want.u[i]}`));
      got.v.forEach((v, i) => assert.ok(Math.abs(v - want.v[i]!) <= tol, `v[${i}] ${v} vs ${want.v[i]}`));
      assert.ok(Math.abs(got.sigma - want.sigma) <= tol * want.sigma, `sigma ${got.sigma} vs ${want.sigma}`);
    }
  });

  it('compiles one pipeline for a kernel at every shape: new gemm shapes add at most the first one', () => {
    const gemmAt = (m: number, n: number, k: number): Float32Array => W.gemm(random(m * k, m), random(k * n, n), { m, n, k, transA: true, transB: false });
    gemmAt(3, 5, 7);
    const before = W.stats().pipelines;
    for (const [m, n, k] of [[9, 2, 4], [17, 33, 1], [1, 1, 50]] as const) gemmAt(m, n, k);
    assert.equal(W.stats().pipelines, before);
  });

  it('rejects buffers that do not match the geometry with a ShapeError, before touching the device', () => {
    assert.throws(() => W.gemm(new Float32Array(5), new Float32Array(6), { m: 2, n: 3, k: 3, transA: false, transB: false }), ShapeError);
    const g = convGeometry([1, 2, 4, 4], [3, 2, 3, 3]);
    assert.throws(() => W.conv2d(new Float32Array(31), new Float32Array(54), g), ShapeError);
  });

  it('keeps a bounded number of eager programs, freeing the least recently used one with its buffers', async () => {
    const made = await createWebGPUBackend({ eagerPrograms: 2 });
    assert.ok(E.isRight(made));
    const B = made.right;
    const gemm = (m: number): Float32Array => B.gemm(new Float32Array(m).fill(2), new Float32Array([3]), { m, n: 1, k: 1, transA: false, transB: false });
    gemm(1);
    gemm(2);
    const two = B.stats();
    assert.deepEqual(Array.from(gemm(3)), [6, 6, 6]);
    assert.equal(B.stats().programs, 2);
    assert.ok(B.stats().liveBuffers <= two.liveBuffers + 1, `${B.stats().liveBuffers} buffers after eviction, ${two.liveBuffers} before`);
    await B.close();
  });

  it('is selected by name through loadBackend', async () => {
    const b = await loadBackend('webgpu');
    assert.ok(E.isRight(b));
    assert.equal(b.right.name, 'webgpu');
    await b.right.close?.();
  });
});

describe('webgpu backend faults', { skip: webgpuSkip }, () => {
  it('a read-back that does not come in time is a WebGPUError of kind timeout (not a hang), and the backend stays failed', async () => {
    const made = await createWebGPUBackend({ readBackTimeoutMs: 1 });
    assert.ok(E.isRight(made));
    const B = made.right;
    const big = { m: 256, n: 256, k: 256, transA: false, transB: false };
    const a = new Float32Array(256 * 256).fill(1);
    assert.throws(() => B.gemm(a, a, big), (e: unknown) => e instanceof WebGPUError && e.kind === 'timeout' && e instanceof BackendError);
    assert.throws(() => B.gemm(a, a, big), (e: unknown) => e instanceof WebGPUError && e.kind === 'timeout');
    await B.close();
  });

  it('a closed backend says so instead of calling a dead worker', async () => {
    const made = await createWebGPUBackend();
    assert.ok(E.isRight(made));
    await made.right.close();
    assert.throws(() => made.right.gemm(new Float32Array(1), new Float32Array(1), { m: 1, n: 1, k: 1, transA: false, transB: false }), /closed/);
  });
});
