import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { grad } from '../../../src/autodiff/index.js';
import { useBackend } from '../../../src/backend/current.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { loadWasmBackend, type WasmBackend } from '../../../src/backend/wasm/index.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { conv2d, convTranspose2d } from '../../../src/ops/conv.js';
import { mul } from '../../../src/ops/elementwise.js';
import { sum } from '../../../src/ops/reduce.js';
import { initTfjsWasm } from '../../../bench/peers/tfjs_gan_step.js';
import { rand } from '../../../bench/helpers/peak.js';

/** `data` of shape `shape` with its axes permuted: out axis i is in axis `perm[i]`. */
function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += idx[i]! * strides[perm[i]!]!;
    out[o] = data[src]!;
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

/**
 * |a − e| ≤ rel·rms(e) for every element: both sides are float32 sums of up to 50,176 products
 * that cancel, so their rounding differences scale with the size of the terms (the RMS of the
 * result), not with each entry; a wrong tap or padding is off by about rms(e).
 */
function assertCloseToScale(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  let ss = 0;
  for (let i = 0; i < expected.length; i++) ss += expected[i]! ** 2;
  const tol = rel * Math.sqrt(ss / expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
  }
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
/** A puregan conv2d weight [O, C, KH, KW] as a TF.js filter [KH, KW, C, O]. */
const OIHW_TO_HWIO = [2, 3, 1, 0];
/** A puregan conv-transpose weight [Cin, Cout, KH, KW] as a TF.js conv2dTranspose filter [KH, KW, Cout, Cin]. */
const IOHW_TO_HWOI = [2, 3, 1, 0];

type Layer = Readonly<{ what: string; transposed: boolean; x: number[]; w: number[]; y: number[] }>;

/** The benchmark GAN's four convolutions (batch 64, k4 s2 p1). */
const LAYERS: readonly Layer[] = [
  { what: 'D conv 1→64 on 28×28', transposed: false, x: [64, 1, 28, 28], w: [64, 1, 4, 4], y: [64, 64, 14, 14] },
  { what: 'D conv 64→128 on 14×14', transposed: false, x: [64, 64, 14, 14], w: [128, 64, 4, 4], y: [64, 128, 7, 7] },
  { what: 'G conv-transpose 128→64 on 7×7', transposed: true, x: [64, 128, 7, 7], w: [128, 64, 4, 4], y: [64, 64, 14, 14] },
  { what: 'G conv-transpose 64→1 on 14×14', transposed: true, x: [64, 64, 14, 14], w: [64, 1, 4, 4], y: [64, 1, 28, 28] },
];

/** Gradients of L = Σ r ⊙ layer(x; w) with respect to x and w, from puregan (NCHW) and TF.js (converted to NCHW). */
function gradients(l: Layer): { puregan: [Tensor, Tensor]; tfjs: [Float32Array, Float32Array] } {
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  const [x, w, r] = [rand(size(l.x), 1), rand(size(l.w), 2), rand(size(l.y), 3)];
  const opts = { stride: 2, padding: 1 };
  const apply = (xt: Tensor, wt: Tensor): Tensor => (l.transposed ? convTranspose2d(xt, wt, undefined, opts) : conv2d(xt, wt, undefined, opts));
  const rt = tensor(l.y, r);
  const loss = (xt: Tensor, wt: Tensor): Tensor => sum(mul(apply(xt, wt), rt));
  const puregan = [grad(loss, { argnums: 0 })(tensor(l.x, x), tensor(l.w, w)), grad(loss, { argnums: 1 })(tensor(l.x, x), tensor(l.w, w))] as [Tensor, Tensor];

  const toNhwc = (s: readonly number[]): number[] => NCHW_TO_NHWC.map((p) => s[p]!);
  const wPerm = l.transposed ? IOHW_TO_HWOI : OIHW_TO_HWIO;
  const xs = tf.tensor4d(permute(x, l.x, NCHW_TO_NHWC), toNhwc(l.x) as [number, number, number, number]);
  const ws = tf.tensor4d(permute(w, l.w, wPerm), wPerm.map((p) => l.w[p]!) as [number, number, number, number]);
  const rs = tf.tensor4d(permute(r, l.y, NCHW_TO_NHWC), toNhwc(l.y) as [number, number, number, number]);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
    const y = l.transposed
      ? tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, toNhwc(l.y) as [number, number, number, number], 2, 1)
      : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1);
    return tf.sum(tf.mul(y, rs));
  })([xs, ws]) as [tf.Tensor, tf.Tensor];
  // Back to puregan's layouts: NHWC → NCHW, and the filter's inverse permutation.
  const inverse = (perm: readonly number[]): number[] => perm.map((_, i) => perm.indexOf(i));
  const tfjs: [Float32Array, Float32Array] = [
    permute(dx!.dataSync() as Float32Array, dx!.shape, inverse(NCHW_TO_NHWC)),
    permute(dw!.dataSync() as Float32Array, dw!.shape, inverse(wPerm)),
  ];
  tf.dispose([xs, ws, rs, dx!, dw!]);
  return { puregan, tfjs };
}

describe('the conv filter gradient built from TF.js public ops (bench/peers/tfjs_conv_grads.ts)', () => {
  let wasm: WasmBackend;
  before(async () => {
    await initTfjsWasm();
    wasm = await loadWasmBackend();
    useBackend(wasm);
  });
  after(async () => {
    useBackend(referenceBackend);
    await wasm.close();
  });

  it('is needed: the TF.js wasm backend registers no Conv2DBackpropFilter kernel', () => {
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    assert.notEqual(tf.getKernel('Conv2D', 'wasm'), undefined);
  });

  for (const l of LAYERS) {
    it(`gives puregan's weight and input gradients for the ${l.what}`, () => {
      const { puregan, tfjs } = gradients(l);
      assertCloseToScale(tfjs[1], puregan[1].data, 1e-4, `${l.what}: dW`);
      assertCloseToScale(tfjs[0], puregan[0].data, 1e-4, `${l.what}: dx`);
    });
  }
});
