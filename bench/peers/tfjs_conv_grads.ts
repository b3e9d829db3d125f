/**
 * The conv2d filter gradient TensorFlow.js's wasm backend lacks (it has no
 * `Conv2DBackpropFilter` kernel, so `tf.grad` through `tf.conv2d` or `tf.conv2dTranspose` fails
 * there), built from its public ops as a user would, and registered as the gradient of
 * `Conv2D` and `Conv2DBackpropInput` (the kernel behind `conv2dTranspose`) with
 * `tf.registerGradient`. The other gradients are TF.js's own (`conv2dTranspose` for the input
 * of a conv, `conv2d` for the input of a transposed conv); gradients stay lazy, so a step that
 * does not need a filter gradient does not compute it.
 *
 * Layout NHWC. For x `[N, H, W, C]`, dy `[N, OH, OW, O]`, stride s, padding p (top/left) and a
 * filter `[KH, KW, C, O]`:
 *
 *   dW[i, j, c, o] = Σ_{n, a, b} x_pad[n, a·s + i, b·s + j, c] · dy[n, a, b, o]
 *
 * which is a stride-1 convolution with dilation s of x as a batch of C images with N channels,
 * `[C, H, W, N]`, by dy as a filter `[OH, OW, N, O]`: the result `[C, KH, KW, O]` (cropped to
 * the filter's size) transposed to `[KH, KW, C, O]`.
 */
import * as tf from '@tensorflow/tfjs';

export type FilterGradOptions = Readonly<{ filterShape: readonly [number, number, number, number]; stride: number; pad: number }>;

/** dW `[KH, KW, C, O]` of conv2d(x `[N, H, W, C]`, W, stride, pad) given dy `[N, OH, OW, O]`, from tf.conv2d and tf.transpose. */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, opts: FilterGradOptions): tf.Tensor4D {
  const [kh, kw] = opts.filterShape;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const s = opts.stride, p = opts.pad;
  // Pad the far side so that the dilated "filter" dy covers at least KH × KW positions.
  const padBottom = Math.max(p, kh + s * (oh - 1) - h - p);
  const padRight = Math.max(p, kw + s * (ow - 1) - w - p);
  return tf.tidy(() => {
    const images = tf.transpose(x, [3, 1, 2, 0]);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    const full = tf.conv2d(images, filter, 1, [[0, 0], [p, padBottom], [p, padRight], [0, 0]], 'NHWC', s);
    const cropped = full.shape[1] === kh && full.shape[2] === kw ? full : tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(cropped, [1, 2, 0, 3]);
  });
}

type ConvAttrs = Readonly<{ strides: number | [number, number]; pad: number | 'same' | 'valid' }>;

/** The stride and the (symmetric, numeric) padding of a conv's attributes; the benches use no others. */
function strideAndPad(attrs: unknown): { stride: number; pad: number } {
  const { strides, pad } = attrs as ConvAttrs;
  const stride = typeof strides === 'number' ? strides : strides[0];
  if (typeof strides !== 'number' && strides[0] !== strides[1]) throw new Error('conv2dFilterGrad: only equal strides are supported');
  if (typeof pad !== 'number') throw new Error(`conv2dFilterGrad: only a numeric padding is supported, got ${String(pad)}`);
  return { stride, pad };
}

let registered = false;

/**
 * Registers the gradients of `Conv2D` and `Conv2DBackpropInput` with the filter gradient above
 * (idempotent; TF.js warns once that it overrides its own registrations).
 */
export function registerConvFilterGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { stride, pad } = strideAndPad(attrs);
      const g = dy as tf.Tensor4D;
      return {
        x: () => tf.conv2dTranspose(g, filter, x.shape, stride, pad),
        filter: () => conv2dFilterGrad(x, g, { filterShape: filter.shape, stride, pad }),
      };
    },
  });
  // conv2dTranspose(x, W) is the input gradient of conv2d(·, W): its output gradient plays the
  // conv's input and x plays the conv's output gradient.
  tf.registerGradient({
    kernelName: 'Conv2DBackpropInput',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const { stride, pad } = strideAndPad(attrs);
      const g = ddx as tf.Tensor4D;
      return {
        dy: () => tf.conv2d(g, filter, stride, pad),
        filter: () => conv2dFilterGrad(g, x, { filterShape: filter.shape, stride, pad }),
      };
    },
  });
}
