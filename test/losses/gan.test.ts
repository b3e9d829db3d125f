import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { grad } from '../../src/autodiff/index.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { GAN_LOSSES, bceWithLogits } from '../../src/losses/gan.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);
const value = (x: Tensor): number => x.data[0]!;
/** log(1 + e⁻⁵⁰) in float64. */
const sp50 = 1.9287498479639178e-22;

describe('GAN losses', () => {
  forEachBackend(() => {
    it('BCE from logits at ±1000 and ±50 is finite and exact: softplus(∓x) without overflow', () => {
      // target 1: mean softplus(−x); softplus(−1000) = 0, softplus(−50) = log1p(e⁻⁵⁰), softplus(50) = 50 + ….
      assertClose(bceWithLogits(t(1000), 1), [0], 0);
      assertClose(bceWithLogits(t(-1000), 1), [1000], 1e-7);
      assert.ok(Math.abs(value(bceWithLogits(t(50), 1)) / sp50 - 1) < 1e-6, 'softplus(−50) keeps its tiny value');
      assertClose(bceWithLogits(t(-50), 1), [50], 1e-7);
      assertClose(bceWithLogits(t(1000, -1000, 50, -50), 0), [(1000 + 0 + 50 + sp50) / 4], 1e-7);
    });
    it('the minimax discriminator loss is exact when D is sure and right (1e-22) and when sure and wrong (1050)', () => {
      const right = GAN_LOSSES.minimax.d(t(1000, 50), t(-1000, -50), {});
      assert.ok(Math.abs(value(right) / sp50 - 1) < 1e-6, `${value(right)}`);
      assertClose(GAN_LOSSES.minimax.d(t(-1000, -50), t(1000, 50), {}), [1050], 1e-7);
    });
    it('the non-saturating and minimax generator losses are finite at ±1000 with finite gradients', () => {
      assertClose(GAN_LOSSES.nonsaturating.g(t(0), t(-1000, -50)), [525], 1e-7);
      assertClose(GAN_LOSSES.minimax.g(t(0), t(1000, 50)), [-525], 1e-7);
      // d/df mean softplus(−f) = −σ(−f)/N: −1/2 at f = −1000, −σ(−1000)/2 = 0 at f = 1000.
      assertClose(grad((f: Tensor) => GAN_LOSSES.nonsaturating.g(t(0), f))(t(-1000, 1000)), [-0.5, 0], 0);
    });
    it('the relativistic average losses match hand-computed float64 values', () => {
      // D: mean softplus(−(r − mean f)) + mean softplus(f − mean r); G swaps the labels.
      // r = [1, 3, −0.5] (mean 7/6), f = [0.5, −1.5, 2] (mean 1/3).
      const r = t(1, 3, -0.5);
      const f = t(0.5, -1.5, 2);
      assertClose(GAN_LOSSES.relativistic.d(r, f), [1.1171760081085023]);
      assertClose(GAN_LOSSES.relativistic.g(r, f), [2.783842674775169]);
    });
    it('the EBGAN losses match hand-computed values: D = E[E(x)] + E[relu(m − E(G(z)))], G = E[E(G(z))]', () => {
      const r = t(0.2, 1.5);
      const f = t(0.3, 2.5);
      // mean r = 0.85; relu(1 − f) = [0.7, 0]; relu(2 − f) = [1.7, 0].
      assertClose(GAN_LOSSES.ebgan.d(r, f, {}), [1.2]);
      assertClose(GAN_LOSSES.ebgan.d(r, f, { margin: 2 }), [1.7]);
      assertClose(GAN_LOSSES.ebgan.g(r, f), [1.4]);
    });
  });
});
