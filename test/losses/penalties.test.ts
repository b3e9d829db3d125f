import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { key } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { gradientPenalty, r1Penalty, type Critic } from '../../src/losses/penalties.js';
import { square } from '../../src/ops/elementwise.js';
import { sum } from '../../src/ops/reduce.js';
import { matmul } from '../../src/ops/linalg.js';
import { grad } from '../../src/autodiff/index.js';
import { assertClose } from '../helpers/assert_close.js';

/** D(x)ᵢ = ‖xᵢ‖², so ∇ₓD(x̂)ᵢ = 2x̂ᵢ and the per-sample norm is 2‖x̂ᵢ‖. */
const critic: Critic = (x: Tensor) => sum(square(x), { axis: 1 });
const real = tensor([2, 2], [3, 4, 0, 1]);
const fake = tensor([2, 2], [0, 0, 1, 0]);

describe('gradient penalty', () => {
  it('interpolates x̂ = α·real + (1 − α)·fake per sample and penalises (‖∇D(x̂)‖ − 1)²', () => {
    // α = [1, 0.5]: x̂ = [[3, 4], [0.5, 0.5]], norms 2‖x̂ᵢ‖ = [10, √2], gp = (81 + (√2 − 1)²)/2.
    const { penalty, gradNorms, gradX } = gradientPenalty({ critic, real, fake, alpha: tensor([2, 1], [1, 0.5]) });
    assertClose(gradX, [6, 8, 1, 1]);
    assertClose(gradNorms, [10, Math.SQRT2]);
    assertClose(penalty, [(81 + (Math.SQRT2 - 1) ** 2) / 2]);
  });
  it('uses the target norm in place of 1', () => {
    const { penalty } = gradientPenalty({ critic, real, fake, alpha: tensor([2, 1], [1, 0]), target: 2 });
    // α = [1, 0]: x̂ = [[3, 4], [1, 0]], norms [10, 2].
    assertClose(penalty, [32]);
  });
  it('draws α from the key when none is given, and needs one or the other', () => {
    const a = gradientPenalty({ critic, real, fake, key: key(3) }).penalty;
    const b = gradientPenalty({ critic, real, fake, key: key(3) }).penalty;
    assert.deepEqual(a, b);
    assert.throws(() => gradientPenalty({ critic, real, fake }), (e: unknown) => e instanceof ValueError && /alpha/.test(e.message));
  });
  it("has a finite gradient (PyTorch's subgradient 0) where a sample's input gradient is exactly zero", () => {
    // D(x) = x·w with w = 0: every ∇ₓD is 0, gp = (0 − 1)² = 1, and ∂gp/∂w takes ‖·‖'s subgradient 0 at 0.
    const gpOf = (w: Tensor): Tensor => gradientPenalty({ critic: (x) => matmul(x, w), real, fake, alpha: tensor([2, 1], [0.3, 0.6]) }).penalty;
    assertClose(gpOf(tensor([2, 1], [0, 0])), [1]);
    assertClose(grad(gpOf)(tensor([2, 1], [0, 0])), [0, 0]);
  });
  it('rejects α of the wrong shape, naming the expected one', () => {
    assert.throws(() => gradientPenalty({ critic, real, fake, alpha: tensor([2], [1, 1]) }), (e: unknown) => e instanceof ShapeError && /alpha must be \[2, 1\]/.test(e.message));
  });
  it('R1 is γ/2 · mean ‖∇ₓD(x_real)‖²', () => {
    // ‖2x‖² = [100, 4]: γ/2 · 52 with γ = 10.
    assertClose(r1Penalty(critic, real, 10), [260]);
  });
});
