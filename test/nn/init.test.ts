import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { fans, kaimingNormal, kaimingUniform, xavierNormal, xavierUniform, type Initializer } from '../../src/nn/init.js';

/** Sample mean, standard deviation and largest magnitude, in float64. */
function stats(w: Tensor): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let ss = 0;
  let maxAbs = 0;
  for (const x of w.data) {
    s += x;
    ss += x * x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const n = w.data.length;
  const mean = s / n;
  return { mean, std: Math.sqrt(ss / n - mean * mean), maxAbs };
}

// A conv weight [O, C, kh, kw] = [64, 32, 3, 3]: fan_in = 32·9 = 288, fan_out = 64·9 = 576,
// n = 18432 draws. The sample std of n draws is within 4·std/√(2n) ≈ 2.1% of std (normal; 1.9%
// for uniform) except with probability ~1e-4, so 3% is safe; the mean is within 4·std/√n.
const shape = [64, 32, 3, 3];
const n = 64 * 32 * 9;

function checkNormal(init: Initializer, std: number): void {
  const s = stats(init(key(7), shape));
  assert.ok(Math.abs(s.std / std - 1) < 0.03, `std ${s.std}, expected ${std}`);
  assert.ok(Math.abs(s.mean) < (4 * std) / Math.sqrt(n), `mean ${s.mean}`);
}

function checkUniform(init: Initializer, bound: number): void {
  const s = stats(init(key(7), shape));
  assert.ok(s.maxAbs <= bound * (1 + 1e-6), `max |w| ${s.maxAbs} above the bound ${bound}`);
  // P(max |w| < 0.99·bound) = 0.99ⁿ, negligible.
  assert.ok(s.maxAbs > 0.99 * bound, `max |w| ${s.maxAbs} well below the bound ${bound}`);
  assert.ok(Math.abs(s.std / (bound / Math.sqrt(3)) - 1) < 0.03, `std ${s.std}, expected ${bound / Math.sqrt(3)}`);
}

describe('initialisers on conv shapes', () => {
  it('fans of a conv weight [O, C, kh, kw] are C·kh·kw in and O·kh·kw out', () => {
    assert.deepEqual(fans([8, 3, 5, 5]), { fanIn: 75, fanOut: 200 });
    assert.deepEqual(fans(shape), { fanIn: 288, fanOut: 576 });
  });
  it('fans of a conv-transpose weight [C_in, C_out, kh, kw] follow PyTorch (fan_in = C_out·kh·kw)', () => {
    assert.deepEqual(fans([16, 4, 3, 3]), { fanIn: 36, fanOut: 144 });
  });
  it('kaimingNormal draws N(0, 2/((1 + a²)·fan_in))', () => {
    checkNormal(kaimingNormal(), Math.sqrt(2 / 288));
    checkNormal(kaimingNormal(0.2), Math.sqrt(2 / (1.04 * 288)));
  });
  it('kaimingUniform draws U(±√(6/((1 + a²)·fan_in)))', () => {
    checkUniform(kaimingUniform(), Math.sqrt(6 / 288));
    checkUniform(kaimingUniform(Math.sqrt(5)), Math.sqrt(1 / 288));
  });
  it('xavierNormal draws N(0, gain²·2/(fan_in + fan_out))', () => {
    checkNormal(xavierNormal(), Math.sqrt(2 / (288 + 576)));
    checkNormal(xavierNormal(2), 2 * Math.sqrt(2 / (288 + 576)));
  });
  it('xavierUniform draws U(±gain·√(6/(fan_in + fan_out)))', () => {
    checkUniform(xavierUniform(), Math.sqrt(6 / (288 + 576)));
    checkUniform(xavierUniform(0.5), 0.5 * Math.sqrt(6 / (288 + 576)));
  });
});
