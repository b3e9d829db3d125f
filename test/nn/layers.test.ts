import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { key, split, normal } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { grad } from '../../src/autodiff/index.js';
import * as ops from '../../src/ops/index.js';
import {
  BatchNorm,
  Conv2d,
  ConvTranspose2d,
  Dropout,
  Embedding,
  Flatten,
  InstanceNorm,
  LayerNorm,
  LeakyReLU,
  Linear,
  MinibatchStddev,
  Reshape,
  Tanh,
  Upsample,
  dcganInit,
  orthogonal,
  pytorchDefaultWeight,
  refreshState,
  sequential,
  spectralNorm,
  powerIterate,
  type AnyLayer,
} from '../../src/nn/index.js';
import { withBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import type { Backend } from '../../src/backend/backend.js';
import { forEachBackend } from '../helpers/backends.js';

const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, v) => a + v, 0) / xs.length;
const std = (xs: ArrayLike<number>): number => {
  const m = mean(xs);
  return Math.sqrt(mean(Array.from(xs).map((v) => (v - m) ** 2)));
};

forEachBackend(() => {
  describe('layers', () => {
    it('a DCGAN generator and discriminator map MNIST shapes as documented', () => {
      const G = sequential(
        Linear(128 * 7 * 7), Reshape([128, 7, 7]), BatchNorm(), LeakyReLU(0.2),
        ConvTranspose2d(64, { kernel: 4, stride: 2, padding: 1 }), BatchNorm(), LeakyReLU(0.2),
        ConvTranspose2d(1, { kernel: 4, stride: 2, padding: 1 }), Tanh(),
      );
      const D = sequential(
        Conv2d(64, { kernel: 4, stride: 2, padding: 1 }), LeakyReLU(0.2),
        Conv2d(128, { kernel: 4, stride: 2, padding: 1 }), LeakyReLU(0.2), Flatten(), Linear(1),
      );
      const g = G.init(key(0), [16]);
      assert.deepEqual(g.outputShape, [1, 28, 28]);
      const d = D.init(key(1), [1, 28, 28]);
      assert.deepEqual(d.outputShape, [1]);
      const [img] = G.apply(g.params, g.state, normal(key(2), [3, 16]), { train: true });
      assert.deepEqual(img.shape, [3, 1, 28, 28]);
      assert.ok([...img.data].every((v) => v >= -1 && v <= 1), 'tanh output in [-1, 1]');
      const [logits] = D.apply(d.params, d.state, img, { train: true });
      assert.deepEqual(logits.shape, [3, 1]);
    });

    it('a wrong input shape gives a ShapeError naming the layer, the expected and the actual shape', () => {
      const conv = Conv2d(8, { kernel: 3 });
      const { params, state } = conv.init(key(0), [3, 8, 8]);
      assert.throws(
        () => conv.apply(params, state, normal(key(1), [2, 4, 8, 8]), { train: false }),
        (e: unknown) => e instanceof ShapeError && /Conv2d\(8/.test(e.message) && /\[N, 3, \*, \*\]/.test(e.message) && /\[2, 4, 8, 8\]/.test(e.message),
      );
      const lin = Linear(4);
      const p = lin.init(key(0), [5]);
      assert.throws(() => lin.apply(p.params, p.state, normal(key(1), [2, 6]), { train: false }), /Linear\(4\) expects input \[N, 5\], got \[2, 6\]/);
    });

    it('batch norm updates running statistics as PyTorch (momentum 0.1, unbiased variance) and uses them in eval', () => {
      const bn = BatchNorm();
      const { params, state } = bn.init(key(0), [2]);
      const x = tensor([4, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
      const [y, s1] = bn.apply(params, state, x, { train: true });
      // channel 0: mean 2.5, unbiased var 5/3; channel 1: mean 25, unbiased var 500/3
      assert.ok(Math.abs(s1.runningMean.data[0]! - 0.25) < 1e-6 && Math.abs(s1.runningMean.data[1]! - 2.5) < 1e-6);
      assert.ok(Math.abs(s1.runningVar.data[0]! - (0.9 + 0.1 * 5 / 3)) < 1e-6);
      assert.ok(Math.abs(s1.runningVar.data[1]! - (0.9 + 0.1 * 500 / 3)) < 1e-4);
      assert.ok(Math.abs(mean([y.data[0]!, y.data[2]!, y.data[4]!, y.data[6]!])) < 1e-6);
      const [ye, s2] = bn.apply(params, s1, x, { train: false });
      assert.equal(s2, s1, 'eval leaves the statistics alone');
      assert.ok(Math.abs(ye.data[0]! - (1 - 0.25) / Math.sqrt(s1.runningVar.data[0]! + 1e-5)) < 1e-5);
    });

    it('instance norm normalises each sample and channel; layer norm each sample', () => {
      const x = normal(key(3), [2, 3, 4, 4], 5, 3);
      const inorm = InstanceNorm();
      const i = inorm.init(key(0), [3, 4, 4]);
      const [y] = inorm.apply(i.params, i.state, x, { train: true });
      for (let plane = 0; plane < 6; plane++) {
        const p = y.data.subarray(plane * 16, plane * 16 + 16);
        assert.ok(Math.abs(mean(p)) < 1e-5 && Math.abs(std(p) - 1) < 1e-3);
      }
      const ln = LayerNorm();
      const l = ln.init(key(0), [3, 4, 4]);
      const [z] = ln.apply(l.params, l.state, x, { train: true });
      assert.ok(Math.abs(std(z.data.subarray(0, 48)) - 1) < 1e-3);
    });

    it('dropout is the identity in eval, needs a key in training and keeps the mean', () => {
      const d = Dropout(0.5);
      const x = tensor([1, 4000], new Float32Array(4000).fill(1));
      assert.equal(d.apply({}, {}, x, { train: false })[0], x);
      assert.throws(() => d.apply({}, {}, x, { train: true }), ValueError);
      const [y] = d.apply({}, {}, x, { train: true, key: key(1) });
      assert.ok(Math.abs(mean(y.data) - 1) < 0.05);
      assert.ok(y.data.some((v) => v === 0) && y.data.some((v) => v === 2));
    });

    it('embedding looks up rows and upsample doubles the spatial size', () => {
      const e = Embedding(10, 3);
      const { params } = e.init(key(0), []);
      const [y] = e.apply(params, {}, tensor([2], [7, 2]), { train: false });
      assert.deepEqual([...y.data.subarray(0, 3)], [...params.weight.data.subarray(21, 24)]);
      const up = Upsample(2, 'bilinear');
      const [u] = up.apply({}, {}, normal(key(0), [1, 2, 3, 3]), { train: false });
      assert.deepEqual(u.shape, [1, 2, 6, 6]);
    });

    it('minibatch stddev appends the mean per-feature std of each group as a channel', () => {
      const mb = MinibatchStddev(2);
      const x = normal(key(5), [4, 3, 2, 2]);
      const [y] = mb.apply({}, {}, x, { train: true });
      assert.deepEqual(y.shape, [4, 4, 2, 2]);
      // group of sample 0 is {0, 2}; its statistic is the mean over features of |x0 − x2| / 2.
      let s = 0;
      for (let f = 0; f < 12; f++) s += Math.sqrt(((x.data[f]! - x.data[24 + f]!) / 2) ** 2 + 1e-8);
      assert.ok(Math.abs(y.data[12]! - s / 12) < 1e-5, `${y.data[12]} vs ${s / 12}`);
      assert.equal(y.data[12], y.data[2 * 16 + 12]);
    });
  });
});

describe('initialisers', () => {
  it('DCGAN init is N(0, 0.02²) and PyTorch default is U(±1/√fan_in)', () => {
    const w = dcganInit(key(0), [64, 32, 4, 4]).data;
    assert.ok(Math.abs(std(w) - 0.02) < 0.001 && Math.abs(mean(w)) < 0.001);
    const u = pytorchDefaultWeight(key(1), [100, 400]).data;
    const bound = 1 / Math.sqrt(400);
    assert.ok([...u].every((v) => Math.abs(v) <= bound));
    assert.ok(Math.abs(std(u) - bound / Math.sqrt(3)) < 0.002);
  });

  it('orthogonal init gives orthonormal rows (or columns)', () => {
    for (const shape of [[4, 9], [9, 4], [3, 2, 2, 2]]) {
      const w = orthogonal()(key(2), shape);
      const rows = shape[0]!;
      const cols = w.data.length / rows;
      const m = ops.matmul(ops.reshape(w, [rows, cols]), ops.reshape(w, [rows, cols]), rows <= cols ? { transB: true } : { transA: true });
      const n = m.shape[0]!;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) assert.ok(Math.abs(m.data[i * n + j]! - (i === j ? 1 : 0)) < 1e-5);
    }
  });
});

/** A backend that counts power-iteration calls and otherwise defers to the reference backend. */
function countingBackend(): { backend: Backend; calls: () => number } {
  let n = 0;
  return {
    backend: { ...referenceBackend, name: 'counting', powerIteration: (...a) => (n++, referenceBackend.powerIteration(...a)) },
    calls: () => n,
  };
}

forEachBackend(() => {
  describe('spectral norm', () => {
    const D = sequential(
      spectralNorm(Conv2d(4, { kernel: 4, stride: 2, padding: 1 })), LeakyReLU(0.2), Flatten(), spectralNorm(Linear(1)),
    ) as AnyLayer;

    it('runs exactly one power iteration per layer per D step, however many times D is applied', () => {
      const { params, state } = D.init(key(0), [1, 8, 8]);
      const [kr, kf, ke] = split(key(1), 3);
      const real = normal(kr!, [2, 1, 8, 8]);
      const fake = normal(kf!, [2, 1, 8, 8]);
      const eps = normal(ke!, [2, 1, 1, 1]);
      const counter = countingBackend();
      withBackend(counter.backend, () => {
        // One D step: refresh once, then apply to real, fake and interpolates inside a gradient.
        const s = refreshState(D, params, state);
        const loss = (p: unknown): Tensor => {
          const [dr] = D.apply(p, s, real, { train: true });
          const [df] = D.apply(p, s, fake, { train: true });
          const xhat = ops.add(ops.mul(eps, real), ops.mul(ops.sub(1, eps), fake));
          const [di] = D.apply(p, s, xhat, { train: true });
          return ops.sum(ops.add(ops.sub(df, dr), ops.mul(di, 0.1)));
        };
        grad(loss)(params);
      });
      assert.equal(counter.calls(), 2, 'two SN layers, one iteration each');
    });

    it('refresh advances u by one power iteration and apply never changes it', () => {
      const { params, state } = D.init(key(0), [1, 8, 8]);
      const s1 = refreshState(D, params, state) as readonly unknown[];
      const sn0 = (state as readonly { u: Tensor }[])[0]!;
      const sn1 = s1[0] as { u: Tensor };
      const expected = powerIterate((params as readonly { weight: Tensor }[])[0]!.weight, sn0.u);
      assert.deepEqual([...sn1.u.data], [...expected.u.data]);
      const [, s2] = D.apply(params, s1, normal(key(4), [3, 1, 8, 8]), { train: true });
      assert.deepEqual([...((s2 as readonly unknown[])[0] as { u: Tensor }).u.data], [...sn1.u.data]);
    });
  });
});
