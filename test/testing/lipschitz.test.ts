import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { key, normal, split } from '../../src/core/random.js';
import { item, tensor, type Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';
import {
  Conv2d,
  LeakyReLU,
  convLipschitzBound,
  powerIterate,
  refreshState,
  sequential,
  spectralNorm,
  spectralNormalize,
  type AnyLayer,
} from '../../src/nn/index.js';
import { arbMlp, arbTensorOfShape, checkLipschitzBound, estimateLipschitz, arbKey } from '../../src/testing/index.js';
import { forEachBackend, numRunsOn } from '../helpers/backends.js';
import { symmetricEigen } from '../../src/metrics/linalg.js';
import { withBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';

/**
 * Singular values of W `[rows, cols]`, largest first, in float64 and independent of the
 * backends: square roots of the eigenvalues of the smaller Gram matrix (WWᵀ or WᵀW), found by
 * `metrics.symmetricEigen` (cyclic Jacobi, itself tested against known decompositions).
 */
function singularValues(w: ArrayLike<number>, rows: number, cols: number): number[] {
  const n = Math.min(rows, cols);
  const at = rows <= cols ? (i: number, k: number): number => w[i * cols + k]! : (i: number, k: number): number => w[k * cols + i]!;
  const len = Math.max(rows, cols);
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < len; k++) g[i * n + j]! += at(i, k) * at(j, k);
  return Array.from(symmetricEigen(g, n).values, (l) => Math.sqrt(Math.max(0, l)));
}

/** Largest singular value of W `[rows, cols]` (float64, see singularValues). */
const trueSigma = (w: ArrayLike<number>, rows: number, cols: number): number => singularValues(w, rows, cols)[0] ?? 0;

/**
 * σ₂/σ₁ from singular values, largest first (0 with a single one). Power iteration converges
 * like (σ₂/σ₁)^2k, so properties about its converged state need a gap: random Gaussian
 * matrices occasionally have σ₂ within 1% of σ₁, where 400 steps leave a relative error of 2·10⁻⁴.
 */
const gapRatio = (s: readonly number[]): number => (s.length < 2 || s[0] === 0 ? 0 : s[1]! / s[0]!);

const arbMatrix = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), k: arbKey() })
  .map(({ rows, cols, k }) => ({ rows, cols, w: normal(k, [rows, cols]) }));

describe('the float64 singular values these tests compare against', () => {
  it('are exact on known matrices and keep Σσ² = ‖W‖²_F on random ones', () => {
    const close = (a: number[], b: number[]): boolean => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) < 1e-12 * (1 + Math.abs(b[i]!)));
    assert.ok(close(singularValues([3, 0, 0, 0, -4, 0], 2, 3), [4, 3]));
    // A rotation times diag(5, 2): the singular values do not change.
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    assert.ok(close(singularValues([5 * c, -2 * s, 5 * s, 2 * c], 2, 2), [5, 2]), String(singularValues([5 * c, -2 * s, 5 * s, 2 * c], 2, 2)));
    // Rank one: u vᵀ has ‖u‖‖v‖ and zeros.
    assert.ok(close(singularValues([1, 2, 2, 2, 4, 4, 3, 6, 6], 3, 3), [3 * Math.hypot(1, 2, 3), 0, 0]));
    fc.assert(
      fc.property(arbMatrix, ({ rows, cols, w }) => {
        const sv = singularValues(w.data, rows, cols);
        const fro = w.data.reduce((a, v) => a + v * v, 0);
        assert.ok(Math.abs(sv.reduce((a, v) => a + v * v, 0) - fro) <= 1e-9 * fro);
        assert.ok(sv.every((v, i) => i === 0 || v <= sv[i - 1]!));
      }),
      { numRuns: 50 },
    );
  });
});

forEachBackend((backend) => {
  describe('spectral norm bounds (Linear)', () => {
    it('a converged spectrally normalised weight has operator norm <= 1 + 1e-4', () => {
      fc.assert(
        fc.property(arbMatrix, arbKey(), ({ rows, cols, w }, k) => {
          // 0.98^(2·400) ≈ 1e-7: converged whatever the start.
          fc.pre(gapRatio(singularValues(w.data, rows, cols)) <= 0.98);
          const u0 = normal(k, [rows]);
          const it = powerIterate(w, tensor([rows], u0.data.map((x) => x / (Math.hypot(...u0.data) || 1))), { steps: 400 });
          const wsn = spectralNormalize(w, it);
          assert.ok(trueSigma(wsn.data, rows, cols) <= 1 + 1e-4, `‖W/σ‖ = ${trueSigma(wsn.data, rows, cols)}`);
        }),
        { numRuns: numRunsOn(backend, 40, 3) },
      );
    });

    it('the σ estimate is a lower bound on the true σ that never decreases and, given a spectral gap, converges to it', () => {
      fc.assert(
        fc.property(arbMatrix, arbKey(), ({ rows, cols, w }, k) => {
          const sv = singularValues(w.data, rows, cols);
          const truth = sv[0]!;
          let u = normal(k, [rows]);
          let prev = 0;
          for (let step = 0; step < 300; step++) {
            const r = powerIterate(w, u);
            const sigma = item(r.sigma);
            assert.ok(sigma <= truth * (1 + 1e-5), `step ${step}: estimate ${sigma} above true σ ${truth}`);
            assert.ok(sigma >= prev * (1 - 1e-5), `step ${step}: estimate fell from ${prev} to ${sigma}`);
            prev = sigma;
            u = r.u;
          }
          // Convergence within 300 steps needs a spectral gap (0.98^600 ≈ 5e-6); the bound and the
          // monotonicity above hold for every matrix.
          if (gapRatio(sv) <= 0.98) assert.ok(Math.abs(prev - truth) <= 2e-3 * truth, `after 300 steps ${prev} vs ${truth}`);
        }),
        { numRuns: numRunsOn(backend, 30, 3) },
      );
    });

    it('a discriminator of SN layers and 1-Lipschitz activations satisfies the product bound Π‖Wᵢ/σᵢ‖', () => {
      fc.assert(
        fc.property(arbMlp({ inputSize: 5, spectral: true, maxDepth: 3, maxWidth: 8 }), arbKey(), fc.integer({ min: 1, max: 40 }), (net, k, refreshes) => {
          const [ki, kx] = split(k);
          const { params, state } = net.layer.init(ki!, net.inputShape);
          let s = state;
          for (let i = 0; i < refreshes; i++) s = refreshState(net.layer, params, s);
          // Product of the true norms of the normalised weights: 1 at convergence, above 1 before.
          let bound = 1;
          (params as readonly unknown[]).forEach((p, i) => {
            const st = (s as readonly unknown[])[i] as { u?: Tensor; v?: Tensor };
            if (st.u === undefined) return;
            const w = (p as { weight: Tensor }).weight;
            const wsn = spectralNormalize(w, { u: st.u, v: st.v! });
            bound *= trueSigma(wsn.data, w.shape[0]!, w.shape[1]!);
          });
          const f = (x: Tensor): Tensor => net.layer.apply(params, s, x, { train: false })[0];
          checkLipschitzBound(f, bound, { inputs: arbTensorOfShape([1, 5], { min: -3, max: 3 }), numRuns: 4, rtol: 1e-3 });
          // And at convergence the bound is 1 (up to float32 noise).
          assert.ok(estimateLipschitz(f, normal(kx!, [1, 5])).sigma <= bound * 1.001);
        }),
        { numRuns: numRunsOn(backend, 25, 3) },
      );
    });
  });
});

/**
 * Operator norm of the conv map x ↦ conv2d(x, w) on `[1, C, H, W]` inputs, by power iteration on
 * AᵀA. A measuring instrument, so it runs on the reference backend whatever backend is under
 * test (as `singularValues` is independent of them; 600 eager kernel calls would each be a
 * device round trip on webgpu).
 */
function convOperatorNorm(w: Tensor, shape: [number, number, number, number], opts: { stride: number; padding: number }): number {
  return withBackend(referenceBackend, () => convOperatorNormHere(w, shape, opts));
}

function convOperatorNormHere(w: Tensor, shape: [number, number, number, number], opts: { stride: number; padding: number }): number {
  let x = normal(key(11), shape);
  let sigma = 0;
  for (let i = 0; i < 300; i++) {
    const y = ops.conv2d(x, w, undefined, opts);
    sigma = Math.sqrt(y.data.reduce((a, v) => a + v * v, 0) / x.data.reduce((a, v) => a + v * v, 0));
    const back = ops.convTranspose2d(y, w, undefined, { ...opts, outputPadding: (shape[2] + 2 * opts.padding - w.shape[2]!) % opts.stride });
    const n = Math.sqrt(back.data.reduce((a, v) => a + v * v, 0));
    x = tensor(shape, back.data.map((v) => v / n));
  }
  return sigma;
}

forEachBackend((backend) => {
  describe('spectral norm bounds (Conv2d)', () => {
    it('reshaped-weight SN bounds the conv operator norm by √(⌈k/s⌉²), not by 1', () => {
      fc.assert(
        fc.property(
          fc.record({ k: arbKey(), kernel: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), o: fc.integer({ min: 1, max: 3 }) }),
          ({ k, kernel, stride, c, o }) => {
            const w = normal(k, [o, c, kernel, kernel]);
            fc.pre(gapRatio(singularValues(w.data, o, c * kernel * kernel)) <= 0.98);
            const sn = spectralNormalize(w, powerIterate(w, normal(key(3), [o]), { steps: 500 }));
            const size = 8 * stride;
            const padding = Math.floor((kernel - 1) / 2);
            const norm = convOperatorNorm(sn, [1, c, size, size], { stride, padding });
            assert.ok(norm <= convLipschitzBound({ kernel, stride }) * (1 + 1e-3), `conv norm ${norm} > bound ${convLipschitzBound({ kernel, stride })}`);
          },
        ),
        { numRuns: numRunsOn(backend, 20, 2) },
      );
    });

    it('the bound is nearly attained: a constant 3×3 kernel, stride 1, has conv norm close to 3 after SN', () => {
      const w = tensor([1, 1, 3, 3], new Float32Array(9).fill(1));
      const sn = spectralNormalize(w, powerIterate(w, tensor([1], [1]), { steps: 5 }));
      const norm = convOperatorNorm(sn, [1, 1, 24, 24], { stride: 1, padding: 1 });
      assert.ok(norm > 2.9 && norm <= 3 * (1 + 1e-4), `conv norm ${norm}`);
      assert.equal(convLipschitzBound({ kernel: 3, stride: 1 }), 3);
      assert.equal(convLipschitzBound({ kernel: 4, stride: 2 }), 2);
    });

    it('an SN conv discriminator satisfies the product of its per-layer conv bounds', () => {
      const D = sequential(
        spectralNorm(Conv2d(3, { kernel: 4, stride: 2, padding: 1 }), { initIterations: 300 }), LeakyReLU(0.2),
        spectralNorm(Conv2d(2, { kernel: 3, stride: 1, padding: 1 }), { initIterations: 300 }),
      ) as AnyLayer;
      const { params, state } = D.init(key(8), [2, 8, 8]);
      const f = (x: Tensor): Tensor => D.apply(params, state, x, { train: false })[0];
      checkLipschitzBound(f, convLipschitzBound({ kernel: 4, stride: 2 }) * convLipschitzBound({ kernel: 3, stride: 1 }), {
        inputs: arbTensorOfShape([1, 2, 8, 8]),
        numRuns: 5,
        rtol: 1e-3,
      });
    });
  });
});
