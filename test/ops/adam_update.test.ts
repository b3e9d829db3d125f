import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grad } from '../../src/autodiff/index.js';
import { ShapeError, UnsupportedError } from '../../src/core/errors.js';
import { scalar, tensor, type Tensor } from '../../src/core/tensor.js';
import { adamUpdate, type AdamHyperparams } from '../../src/ops/adam_update.js';
import { bind } from '../../src/ops/dispatch.js';
import { abs, add, div, maximum, mul, sqrt, sum } from '../../src/ops/index.js';
import { assertGradients } from '../../src/testing/gradcheck.js';
import { forEachBackend } from '../helpers/backends.js';
import { mulberry } from '../helpers/seeded.js';

/**
 * The op-composed Adam (and Adamax) formula, one primitive per operation in the order
 * `optim/adam.ts` (`optim/adamax.ts`) writes it: the oracle the fused kernel must match bit for bit.
 */
function composedStep(p: Tensor, g0: Tensor, m: Tensor, v: Tensor, s: { c1: number; c2: number; lr: number }, h: AdamHyperparams): Tensor[] {
  if (h.rule === 'adamax') {
    const m1 = add(mul(m, h.b1), mul(g0, 1 - h.b1));
    const u1 = maximum(mul(v, h.b2), add(abs(g0), h.eps));
    return [add(p, mul(div(m1, mul(u1, s.c1)), -s.lr)), m1, u1];
  }
  const g = h.decay === 'l2' ? add(g0, mul(p, h.weightDecay)) : g0;
  const m1 = add(mul(m, h.b1), mul(g, 1 - h.b1));
  const v1 = add(mul(v, h.b2), mul(mul(g, g), 1 - h.b2));
  const vHat = div(v1, s.c2);
  let u = div(div(m1, s.c1), add(sqrt(h.epsRoot === 0 ? vHat : add(vHat, h.epsRoot)), h.eps));
  if (h.decay === 'decoupled') u = add(u, mul(p, h.weightDecay));
  return [add(p, mul(u, -s.lr)), m1, v1];
}

const shapes = fc.array(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 5 });
const hypers: fc.Arbitrary<AdamHyperparams> = fc.record({
  rule: fc.constantFrom('adam' as const, 'adamax' as const),
  b1: fc.constantFrom(0, 0.5, 0.9),
  b2: fc.constantFrom(0.9, 0.999),
  eps: fc.constantFrom(1e-8, 1e-4),
  epsRoot: fc.constantFrom(0, 1e-6),
  weightDecay: fc.constantFrom(0.01, 0.1),
  decay: fc.constantFrom('none' as const, 'l2' as const, 'decoupled' as const),
});

function randomTensor(shape: readonly number[], r: () => number, scale: number, positive = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(shape, Float32Array.from({ length: n }, () => (positive ? r() : r() - 0.5) * scale));
}

const bits = (t: Tensor): number[] => [...new Uint32Array(Float32Array.from(t.data).buffer)];

describe('adamUpdate', () => {
  forEachBackend(() => {
    it('equals the op-composed Adam formula bit for bit, leaf by leaf', () => {
      fc.assert(
        fc.property(shapes, hypers, fc.integer({ min: 1, max: 50 }), fc.integer(), (ss, h, t, seed) => {
          const r = mulberry(seed);
          const leaves = ss.map((s) => ({ p: randomTensor(s, r, 2), g: randomTensor(s, r, 1e-3), m: randomTensor(s, r, 1e-3), v: randomTensor(s, r, 1e-6, true) }));
          const sc = { c1: Math.fround(1 - Math.fround(h.b1 ** t)), c2: Math.fround(1 - Math.fround(h.b2 ** t)), lr: Math.fround(2e-4) };
          const out = adamUpdate(
            { params: leaves.map((l) => l.p), grads: leaves.map((l) => l.g), mu: leaves.map((l) => l.m), nu: leaves.map((l) => l.v) },
            { c1: scalar(sc.c1), c2: scalar(sc.c2), lr: scalar(sc.lr) },
            h,
          );
          leaves.forEach((l, i) => {
            const [p1, m1, v1] = composedStep(l.p, l.g, l.m, l.v, sc, h);
            assert.deepEqual(out.params[i]!.shape, l.p.shape);
            assert.deepEqual(bits(out.params[i]!), bits(p1!), `p' of leaf ${i}`);
            assert.deepEqual(bits(out.mu[i]!), bits(m1!), `m' of leaf ${i}`);
            assert.deepEqual(bits(out.nu[i]!), bits(v1!), `v' of leaf ${i}`);
          });
        }),
        { numRuns: 40 },
      );
    });
  });

  const one = tensor([3], [1, 2, 3]);
  const hyper: AdamHyperparams = { rule: 'adam', b1: 0.9, b2: 0.999, eps: 1e-8, epsRoot: 0, weightDecay: 0, decay: 'none' };
  const scalars = { c1: scalar(0.1), c2: scalar(0.001), lr: scalar(1e-3) };

  it('returns views of one packed result (one kernel call, no copies)', () => {
    const two = tensor([2, 2], [1, 2, 3, 4]);
    const out = adamUpdate({ params: [one, two], grads: [one, two], mu: [one, two], nu: [one, two] }, scalars, hyper);
    const buffers = new Set([...out.params, ...out.mu, ...out.nu].map((t) => t.data.buffer));
    assert.equal(buffers.size, 1);
    assert.deepEqual(out.nu[1]!.shape, [2, 2]);
  });

  it('makes no kernel call for no leaves', () => {
    assert.deepEqual(adamUpdate({ params: [], grads: [], mu: [], nu: [] }, scalars, hyper), { params: [], mu: [], nu: [] });
  });

  it('rejects a grad or moment whose shape differs from its param, and scalars that are not 0-d', () => {
    const bad = tensor([1, 3], [1, 2, 3]);
    assert.throws(() => adamUpdate({ params: [one], grads: [bad], mu: [one], nu: [one] }, scalars, hyper), (e: unknown) => e instanceof ShapeError && /grad/.test(e.message));
    assert.throws(() => adamUpdate({ params: [one], grads: [one], mu: [one], nu: [] }, scalars, hyper), ShapeError);
    assert.throws(() => adamUpdate({ params: [one], grads: [one], mu: [one], nu: [one] }, { ...scalars, lr: tensor([1], [1e-3]) }, hyper), (e: unknown) => e instanceof ShapeError && /lr/.test(e.message));
  });

  it('is not differentiable: a gradient through it is an UnsupportedError that names fused: false', () => {
    const f = (p: Tensor): Tensor => sum(adamUpdate({ params: [p], grads: [one], mu: [one], nu: [one] }, scalars, hyper).params[0]!);
    assert.throws(() => grad(f)(one), (e: unknown) => e instanceof UnsupportedError && /fused: false/.test(e.message));
  });
});

describe('packedPart', () => {
  const packed = tensor([6], [1, 2, 3, 4, 5, 6]);

  it('reads `shape` elements from `offset` as a view', () => {
    const part = bind('packedPart', [packed], { offset: 2, shape: [2, 1] });
    assert.deepEqual(part.shape, [2, 1]);
    assert.deepEqual([...part.data], [3, 4]);
    assert.equal(part.data.buffer, packed.data.buffer);
  });

  it('has the adjoint of its read as its VJP (finite differences)', () => {
    const w = tensor([3], [0.5, -2, 1.5]);
    assertGradients((x: Tensor) => sum(mul(bind('packedPart', [x], { offset: 3, shape: [3] }), w)), packed);
  });

  it('rejects a part outside the packed result, or a packed result that is not 1-D', () => {
    assert.throws(() => bind('packedPart', [packed], { offset: 5, shape: [2] }), ShapeError);
    assert.throws(() => bind('packedPart', [tensor([2, 3], [1, 2, 3, 4, 5, 6])], { offset: 0, shape: [2] }), ShapeError);
  });
});
