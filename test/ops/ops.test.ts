import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ops from '../../src/ops/index.js';
import { tensor, toNested, type Tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { arbTensor, arbTensorOfShape } from '../../src/testing/index.js';
import { forEachBackend } from '../helpers/backends.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `index ${i}: ${a[i]} vs ${b[i]}`);
};

describe('broadcasting and shape errors', () => {
  it('broadcasts like NumPy', () => {
    const a = tensor([2, 1], [1, 2]);
    const b = tensor([3], [10, 20, 30]);
    assert.deepEqual(toNested(ops.add(a, b)), [[11, 21, 31], [12, 22, 32]]);
    assert.deepEqual(ops.mul(a, 2).shape, [2, 1]);
  });
  it('names both shapes when they cannot be broadcast', () => {
    assert.throws(
      () => ops.add(tensor([2, 3], new Float32Array(6)), tensor([4], new Float32Array(4))),
      (e: unknown) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /\[4\]/.test(e.message),
    );
  });
  it('matmul names both shapes on an inner-dimension mismatch', () => {
    assert.throws(() => ops.matmul(tensor([2, 3], new Float32Array(6)), tensor([2, 3], new Float32Array(6))), /a=\[2, 3\], b=\[2, 3\]/);
  });
  it('conv2d names x and weight when channels disagree', () => {
    assert.throws(() => ops.conv2d(normal(key(0), [1, 3, 5, 5]), normal(key(1), [2, 4, 3, 3])), /x=\[1, 3, 5, 5\], weight=\[2, 4, 3, 3\]/);
  });
  it('rejects bad strides, axes and reshape sizes with clear errors', () => {
    assert.throws(() => ops.conv2d(normal(key(0), [1, 1, 5, 5]), normal(key(1), [1, 1, 3, 3]), undefined, { stride: 0 }), ValueError);
    assert.throws(() => ops.sum(tensor([2], [1, 2]), { axis: 3 }), /axis 3 is out of range for rank 1/);
    assert.throws(() => ops.reshape(tensor([2, 3], new Float32Array(6)), [4, 2]), /6 → 8/);
  });
});

describe('structural ops', () => {
  it('reshape(transpose) round-trips and slice/pad are inverse', () => {
    fc.assert(
      fc.property(arbTensor({ minRank: 1, maxRank: 3 }), (x) => {
        assert.deepEqual(ops.transpose(ops.transpose(x)).data, x.data);
        const padded = ops.pad(x, x.shape.map(() => [1, 2] as const));
        assert.deepEqual(ops.slice(padded, x.shape.map(() => 1), x.shape.map((d) => d + 1)).data, x.data);
      }),
      { numRuns: 100 },
    );
  });
  it('concat then slice recovers each part; stack adds an axis', () => {
    const a = tensor([2, 2], [1, 2, 3, 4]);
    const b = tensor([2, 1], [5, 6]);
    const c = ops.concat([a, b], 1);
    assert.deepEqual(toNested(c), [[1, 2, 5], [3, 4, 6]]);
    assert.deepEqual(ops.stack([a, a], 0).shape, [2, 2, 2]);
  });
  it('max, mean, variance and logSumExp reduce over the requested axes', () => {
    const x = tensor([2, 3], [1, 5, 3, 4, 2, 6]);
    assert.deepEqual([...ops.max(x, { axis: 1 }).data], [5, 6]);
    assert.deepEqual([...ops.mean(x, { axis: 0 }).data], [2.5, 3.5, 4.5]);
    close(ops.variance(x, { axis: 1, correction: 1 }).data, [4, 4]);
    close(ops.logSumExp(x, { axis: 1 }).data, [Math.log(Math.exp(1) + Math.exp(5) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(2) + Math.exp(6))]);
    close([ops.logSumExp(tensor([2], [1000, 1000])).data[0]!], [1000 + Math.log(2)]);
  });
});

forEachBackend(() => {
  describe('image ops', () => {
    it('bilinear upsampling matches the per-pixel definition (align_corners = false)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), (h, w, s) => {
          const x = normal(key(h * 31 + w * 7 + s), [1, 2, h, w]);
          const y = ops.upsampleBilinear(x, s);
          const src = (i: number, n: number): [number, number, number] => {
            const c = Math.max((i + 0.5) / s - 0.5, 0);
            const i0 = Math.min(Math.floor(c), n - 1);
            return [i0, Math.min(i0 + 1, n - 1), c - i0];
          };
          const at = (c: number, i: number, j: number): number => x.data[(c * h + i) * w + j]!;
          const want: number[] = [];
          for (let c = 0; c < 2; c++)
            for (let i = 0; i < h * s; i++)
              for (let j = 0; j < w * s; j++) {
                const [i0, i1, ti] = src(i, h);
                const [j0, j1, tj] = src(j, w);
                want.push((1 - ti) * ((1 - tj) * at(c, i0, j0) + tj * at(c, i0, j1)) + ti * ((1 - tj) * at(c, i1, j0) + tj * at(c, i1, j1)));
              }
          close(y.data, want, 1e-5);
        }),
        { numRuns: 40 },
      );
    });
    it('pixel shuffle moves channel blocks into space as PyTorch', () => {
      const x = tensor([1, 4, 1, 1], [1, 2, 3, 4]);
      assert.deepEqual(toNested(ops.pixelShuffle(x, 2)), [[[[1, 2], [3, 4]]]]);
    });
    it('avg pool averages k×k blocks and rejects indivisible sizes', () => {
      const x = tensor([1, 1, 2, 2], [1, 2, 3, 6]);
      assert.deepEqual([...ops.avgPool2d(x, 2).data], [3]);
      assert.throws(() => ops.avgPool2d(normal(key(0), [1, 1, 3, 3]), 2), ShapeError);
    });
    it('cross-entropy from logits equals −log softmax at the label', () => {
      fc.assert(
        fc.property(arbTensorOfShape([3, 4], { min: -5, max: 5 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }), (logits, labels) => {
          const ce = ops.crossEntropy(logits, labels).data[0]!;
          let want = 0;
          for (let i = 0; i < 3; i++) {
            const row = Array.from(logits.data.subarray(i * 4, i * 4 + 4));
            const m = Math.max(...row);
            want -= row[labels[i]!]! - m - Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
          }
          assert.ok(Math.abs(ce - want / 3) < 1e-5);
        }),
        { numRuns: 50 },
      );
      assert.throws(() => ops.crossEntropy(normal(key(0), [2, 3]), [0, 3]), /label 3 at index 1/);
    });
    it('NaN inputs propagate through ops without throwing', () => {
      const x: Tensor = tensor([1, 1, 2, 2], [NaN, 1, 2, 3]);
      const y = ops.conv2d(x, tensor([1, 1, 1, 1], [2]));
      assert.ok(Number.isNaN(y.data[0]!) && y.data[1] === 2);
      assert.ok(Number.isNaN(ops.max(x).data[0]!));
    });
  });
});

describe('broadcasting binary ops (property)', () => {
  /** out[idx] = f(x[idx mod x.shape], y[idx mod y.shape]) by explicit index arithmetic. */
  const naive = (x: Tensor, y: Tensor, f: (a: number, b: number) => number): Float32Array => {
    const rank = Math.max(x.shape.length, y.shape.length);
    const pad = (s: readonly number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
    const xs = pad(x.shape), ys = pad(y.shape);
    const shape = xs.map((d, i) => Math.max(d, ys[i]!));
    const n = shape.reduce((p, d) => p * d, 1);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let rem = i, xi = 0, yi = 0, xm = 1, ym = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const c = rem % shape[d]!;
        rem = Math.floor(rem / shape[d]!);
        xi += (xs[d] === 1 ? 0 : c) * xm;
        yi += (ys[d] === 1 ? 0 : c) * ym;
        xm *= xs[d]!;
        ym *= ys[d]!;
      }
      out[i] = f(x.data[xi]!, y.data[yi]!);
    }
    return out;
  };
  // A full shape, and a broadcastable one made by setting some dims to 1 and dropping leading dims.
  const arbPair = fc
    .array(fc.constantFrom(1, 2, 3, 8, 9, 16), { minLength: 1, maxLength: 4 })
    .chain((full) =>
      fc.tuple(
        fc.constant(full),
        fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
        fc.integer({ min: 0, max: full.length - 1 }),
        fc.boolean(),
      ),
    )
    .chain(([full, ones, drop, swap]) => {
      const small = full.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      return fc.tuple(arbTensorOfShape(full), arbTensorOfShape(small), fc.constant(swap));
    });
  it('add, sub, mul, div, maximum agree with explicit index arithmetic for every broadcast pattern', () => {
    fc.assert(
      fc.property(arbPair, ([big, small, swap]) => {
        const [x, y] = swap ? [small, big] : [big, small];
        const cases: [string, Tensor, (a: number, b: number) => number][] = [
          ['add', ops.add(x, y), (a, b) => a + b],
          ['sub', ops.sub(x, y), (a, b) => a - b],
          ['mul', ops.mul(x, y), (a, b) => a * b],
          ['div', ops.div(x, y), (a, b) => a / b],
          ['maximum', ops.maximum(x, y), (a, b) => Math.max(a, b)],
        ];
        for (const [name, got, f] of cases) {
          const want = naive(x, y, f);
          assert.equal(got.data.length, want.length, name);
          for (let i = 0; i < want.length; i++) {
            assert.ok(Object.is(got.data[i], want[i]) || got.data[i] === want[i], `${name} [${x.shape}] ∘ [${y.shape}] at ${i}: ${got.data[i]} vs ${want[i]}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
