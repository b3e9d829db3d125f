import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sizeOf, type Tensor } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';
import { arbShape, arbTensor, arbTensorOfShape } from '../../src/testing/index.js';

/** The multi-index of flat position `flat` in `shape` (row-major). */
function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = shape.map(() => 0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}
const ravel = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((acc, i, d) => acc * shape[d]! + i, 0);
/** x[idx] by explicit index arithmetic. */
const at = (x: Tensor, idx: readonly number[]): number => x.data[ravel(idx, x.shape)]!;

const arbX = arbTensor({ minRank: 1, maxRank: 4, maxDim: 4 });

describe('strided structural ops (property)', () => {
  it('transpose by any permutation moves x[idx] to y[perm(idx)]', () => {
    fc.assert(
      fc.property(
        arbX.chain((x) => fc.tuple(fc.constant(x), fc.shuffledSubarray(x.shape.map((_, i) => i), { minLength: x.shape.length }))),
        ([x, perm]) => {
          const y = ops.transpose(x, perm);
          for (let f = 0; f < y.data.length; f++) {
            const yi = unravel(f, y.shape);
            const xi = x.shape.map(() => 0);
            perm.forEach((p, i) => (xi[p] = yi[i]!));
            assert.equal(y.data[f], at(x, xi));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a strided slice picks x[start + i·step] along every axis', () => {
    const arbSlice = arbX.chain((x) =>
      fc.tuple(
        fc.constant(x),
        fc.tuple(...x.shape.map((n) => fc.record({ start: fc.integer({ min: 0, max: n - 1 }), step: fc.integer({ min: 1, max: 3 }) }))),
      ),
    );
    fc.assert(
      fc.property(arbSlice, ([x, spec]) => {
        const y = ops.slice(x, spec.map((s) => s.start), undefined, spec.map((s) => s.step));
        assert.deepEqual(y.shape, x.shape.map((n, d) => Math.ceil((n - spec[d]!.start) / spec[d]!.step)));
        for (let f = 0; f < y.data.length; f++) {
          const yi = unravel(f, y.shape);
          assert.equal(y.data[f], at(x, yi.map((i, d) => spec[d]!.start + i * spec[d]!.step)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('pad with lo, hi and interior zeros puts x[idx] at lo + idx·(interior + 1) and zeros elsewhere', () => {
    const arbPad = arbX.chain((x) =>
      fc.tuple(
        fc.constant(x),
        fc.tuple(...x.shape.map(() => fc.record({ lo: fc.nat(2), hi: fc.nat(2), interior: fc.nat(2) }))),
      ),
    );
    fc.assert(
      fc.property(arbPad, ([x, spec]) => {
        const y = ops.bind('pad', [x], { lo: spec.map((s) => s.lo), hi: spec.map((s) => s.hi), interior: spec.map((s) => s.interior) });
        const expected = new Float32Array(sizeOf(y.shape));
        for (let f = 0; f < x.data.length; f++) {
          const xi = unravel(f, x.shape);
          expected[ravel(xi.map((i, d) => spec[d]!.lo + i * (spec[d]!.interior + 1)), y.shape)] = x.data[f]!;
        }
        assert.deepEqual(y.shape, x.shape.map((n, d) => n + (n - 1) * spec[d]!.interior + spec[d]!.lo + spec[d]!.hi));
        assert.deepEqual(y.data, expected);
      }),
      { numRuns: 150 },
    );
  });

  it('broadcastTo repeats x along new leading axes and its size-1 axes', () => {
    const arbBroadcast = fc
      .tuple(arbShape({ minRank: 1, maxRank: 4, maxDim: 3 }), fc.nat(2))
      .chain(([target, dropped]) => {
        const lead = Math.min(dropped, target.length - 1);
        return fc.tuple(fc.constant(target), fc.tuple(...target.slice(lead).map((n) => fc.constantFrom(1, n)))).chain(([t, src]) =>
          fc.tuple(fc.constant(t), arbTensorOfShape(src)),
        );
      });
    fc.assert(
      fc.property(arbBroadcast, ([target, x]) => {
        const y = ops.broadcastTo(x, target);
        const lead = target.length - x.shape.length;
        for (let f = 0; f < y.data.length; f++) {
          const yi = unravel(f, target).slice(lead);
          assert.equal(y.data[f], at(x, yi.map((i, d) => (x.shape[d] === 1 ? 0 : i))));
        }
      }),
      { numRuns: 150 },
    );
  });
});
