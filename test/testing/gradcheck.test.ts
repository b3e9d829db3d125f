import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stopGradient } from '../../src/autodiff/index.js';
import * as ops from '../../src/ops/index.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ValueError } from '../../src/core/errors.js';
import { assertGradients, checkGradients } from '../../src/testing/index.js';

const x = tensor([2, 3], [0.3, -1.2, 0.7, 1.9, -0.4, 0.05]);

describe('checkGradients (puregan/testing)', () => {
  it('accepts a correct gradient and reports what it checked', () => {
    const r = checkGradients((t: Tensor) => ops.sum(ops.mul(ops.tanh(t), t)), x);
    assert.equal(r.ok, true);
    assert.equal(r.checked, 6);
    assert.ok(r.worstRatio < 0.1, `worst ratio ${r.worstRatio}`);
  });

  it('rejects a wrong gradient: x·stopGradient(x) differentiates to x, not 2x', () => {
    const f = (t: Tensor): Tensor => ops.sum(ops.mul(t, stopGradient(t)));
    const r = checkGradients(f, x);
    assert.equal(r.ok, false);
    // The worst element is the largest |x|: autodiff says x, finite differences 2x.
    assert.equal(r.worst?.index, 3);
    assert.ok(Math.abs(r.worst!.autodiff - 1.9) < 1e-6);
    assert.ok(Math.abs(r.worst!.finiteDifference - 3.8) < 1e-3);
    assert.throws(() => assertGradients(f, x), /gradient check failed: leaf 0 element 3/);
  });

  it('rejects an error of a few percent in one leaf of a pytree', () => {
    // b enters as 1.05·b in the value but as b in the gradient.
    const f = (p: { w: Tensor; b: Tensor }): Tensor =>
      ops.sum(ops.add(ops.mul(p.w, p.w), ops.add(p.b, ops.mul(stopGradient(p.b), 0.05))));
    const r = checkGradients(f, { w: x, b: tensor([3], [1, 2, 3]) }, { rtol: 1e-2, atol: 1e-4 });
    assert.equal(r.ok, false);
    // Leaves flatten in sorted key order (b, then w); b is broadcast over w's 2 rows.
    assert.equal(r.worst?.leaf, 0);
    assert.ok(Math.abs(r.worst!.autodiff - 2) < 1e-6 && Math.abs(r.worst!.finiteDifference - 2.1) < 1e-2, JSON.stringify(r.worst));
  });

  it('allows for float32 rounding of large function values instead of failing correct gradients', () => {
    // f ≈ 4096: one float32 ulp is 2⁻¹¹ ≈ 4.9e-4, so the difference quotients carry rounding
    // errors of ~0.1 while the true gradient is 1 − tanh²(x).
    const f = (t: Tensor): Tensor => ops.add(4096, ops.sum(ops.tanh(t)));
    assert.equal(checkGradients(f, x).ok, true);
    const strict = checkGradients(f, x, { noiseUlps: 0, richardson: false });
    assert.equal(strict.ok, false, 'without the rounding term the same check fails on noise alone');
    // The rounding allowance is not a blanket pass: a wrong gradient of the same size still fails.
    const wrong = (t: Tensor): Tensor => ops.add(4096, ops.sum(ops.mul(t, stopGradient(ops.mul(t, 3)))));
    assert.equal(checkGradients(wrong, x).ok, false);
  });

  it('allows for the truncation error of steep functions (exp(60x)) and still rejects a wrong gradient of one', () => {
    // At h = 1e-2 one Richardson level is off by ~60·0.6⁴/480 ≈ 0.016 here, over atol = 2e-3;
    // the second level is 16× closer and their difference bounds what is left.
    const t0 = tensor([1], [0]);
    const steep = (t: Tensor): Tensor => ops.sum(ops.exp(ops.mul(t, 60)));
    const r = checkGradients(steep, t0, { rtol: 0 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.ok(Math.abs(r.worst!.finiteDifference - 60) < 2e-3, JSON.stringify(r.worst));
    // Without extrapolation the plain central difference is off by ~60·0.6²/6 ≈ 3.6.
    assert.equal(checkGradients(steep, t0, { rtol: 0, richardson: false }).ok, false);
    // The same function whose gradient is off by 2% (the value is unchanged: t − stopGradient(t) = 0).
    const wrong = (t: Tensor): Tensor => ops.add(steep(t), ops.sum(ops.mul(ops.sub(t, stopGradient(t)), 1.2)));
    assert.equal(checkGradients(wrong, t0, { rtol: 0 }).ok, false);
  });

  it('rejects bad options and non-scalar functions with clear errors', () => {
    assert.throws(() => checkGradients((t: Tensor) => ops.sum(t), x, { noiseUlps: -1 }), ValueError);
    assert.throws(() => checkGradients((t: Tensor) => ops.mul(t, 2), x), /scalar/);
  });
});
