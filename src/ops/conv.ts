import { convGeometry, convTransposeGeometry, type ConvOptions, type ConvTransposeOptions } from '../backend/geometry.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions, type OptionKeys } from '../core/options.js';
import { isTensor, tensor, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { matmul } from './linalg.js';
import { mean } from './reduce.js';
import { broadcastTo, reshape, transpose } from './shape.js';

const CONV_KEYS: OptionKeys<ConvOptions> = { stride: true, padding: true, dilation: true };

/** The inputs of a conv primitive: [x, w] or [x, w, bias] with bias checked to be `[channels]`. */
function convInputs(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  channels: number,
  what: string,
): readonly [Tensor, Tensor] | readonly [Tensor, Tensor, Tensor] {
  if (bias === undefined) return [x, weight];
  if (!isTensor(bias)) {
    throw new ValueError(`${what}: bias must be a Tensor or undefined, got ${JSON.stringify(bias)} (options are the fourth argument: ${what}(x, weight, undefined, { stride }))`);
  }
  if (bias.shape.length !== 1 || bias.shape[0] !== channels) {
    throw new ShapeError(`${what} bias must be [${channels}]`, { weight: weight.shape, bias: bias.shape });
  }
  return [x, weight, bias];
}

/**
 * 2-D convolution (cross-correlation, as PyTorch): x `[N, C, H, W]`, weight `[O, C, kh, kw]`,
 * bias `[O]` → `[N, O, H', W']`, H' = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1.
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: ConvOptions = {}): Tensor {
  checkOptions('conv2d', opts, CONV_KEYS);
  const g = convGeometry(x.shape, weight.shape, opts);
  return bind('conv2d', convInputs(x, weight, bias, g.o, 'conv2d'), { geometry: g });
}

/**
 * Transposed convolution (PyTorch's conv_transpose2d): x `[N, Cin, H, W]`, weight
 * `[Cin, Cout, kh, kw]`, bias `[Cout]` → `[N, Cout, H', W']`,
 * H' = (H − 1)s − 2p + d(kh − 1) + outputPadding + 1.
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor, opts: ConvTransposeOptions = {}): Tensor {
  checkOptions('convTranspose2d', opts, { ...CONV_KEYS, outputPadding: true });
  const g = convTransposeGeometry(x.shape, weight.shape, opts);
  return bind('conv2dGradInput', convInputs(x, weight, bias, g.c, 'conv_transpose2d'), { geometry: g });
}

function check4d(x: Tensor, what: string): [number, number, number, number] {
  if (x.shape.length !== 4) throw new ShapeError(`${what} needs an [N, C, H, W] input`, { x: x.shape });
  return x.shape as [number, number, number, number];
}

/** Average pooling with a k×k window and stride k: `[N, C, H, W] → [N, C, H/k, W/k]` (H, W divisible by k). */
export function avgPool2d(x: Tensor, kernel: number): Tensor {
  const [n, c, h, w] = check4d(x, 'avgPool2d');
  if (!Number.isInteger(kernel) || kernel < 1) throw new ValueError(`avgPool2d kernel must be a positive integer, got ${kernel}`);
  if (h % kernel !== 0 || w % kernel !== 0) {
    throw new ShapeError(`avgPool2d needs H and W divisible by the kernel ${kernel}`, { x: x.shape });
  }
  return mean(reshape(x, [n, c, h / kernel, kernel, w / kernel, kernel]), { axis: [3, 5] });
}

/** Nearest-neighbour upsampling by an integer factor: `[N, C, H, W] → [N, C, sH, sW]`. */
export function upsampleNearest(x: Tensor, scale: number): Tensor {
  const [n, c, h, w] = check4d(x, 'upsampleNearest');
  if (!Number.isInteger(scale) || scale < 1) throw new ValueError(`upsample scale must be a positive integer, got ${scale}`);
  const b = broadcastTo(reshape(x, [n, c, h, 1, w, 1]), [n, c, h, scale, w, scale]);
  return reshape(b, [n, c, h * scale, w * scale]);
}

/**
 * Interpolation matrix `[out, in]` of 1-D linear resampling with align_corners = false
 * (PyTorch's default): source coordinate (i + 0.5)·in/out − 0.5, clamped at 0.
 */
function linearResampleMatrix(size: number, out: number): Tensor {
  const m = new Float32Array(out * size);
  const scale = size / out;
  for (let i = 0; i < out; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), size - 1);
    const i1 = Math.min(i0 + 1, size - 1);
    const t = src - i0;
    m[i * size + i0]! += 1 - t;
    m[i * size + i1]! += t;
  }
  return tensor([out, size], m);
}

/**
 * Bilinear upsampling by an integer factor (align_corners = false, as PyTorch's default):
 * y = A_h · x · A_wᵀ per image, with the 1-D interpolation matrices A.
 */
export function upsampleBilinear(x: Tensor, scale: number): Tensor {
  const [n, c, h, w] = check4d(x, 'upsampleBilinear');
  if (!Number.isInteger(scale) || scale < 1) throw new ValueError(`upsample scale must be a positive integer, got ${scale}`);
  const ah = linearResampleMatrix(h, h * scale);
  const aw = linearResampleMatrix(w, w * scale);
  // Along W: [N·C·H, W] · A_wᵀ → [N·C·H, sW].
  const alongW = matmul(reshape(x, [n * c * h, w]), aw, { transB: true });
  // Along H: move H last, multiply, move back.
  const t = reshape(transpose(reshape(alongW, [n * c, h, w * scale]), [0, 2, 1]), [n * c * w * scale, h]);
  const alongH = matmul(t, ah, { transB: true });
  return reshape(transpose(reshape(alongH, [n * c, w * scale, h * scale]), [0, 2, 1]), [n, c, h * scale, w * scale]);
}

/** Pixel shuffle (depth to space): `[N, C·r², H, W] → [N, C, rH, rW]`, as PyTorch's pixel_shuffle. */
export function pixelShuffle(x: Tensor, r: number): Tensor {
  const [n, cr2, h, w] = check4d(x, 'pixelShuffle');
  if (!Number.isInteger(r) || r < 1 || cr2 % (r * r) !== 0) {
    throw new ShapeError(`pixelShuffle(${r}) needs channels divisible by ${r * r}`, { x: x.shape });
  }
  const c = cr2 / (r * r);
  const t = transpose(reshape(x, [n, c, r, r, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(t, [n, c, h * r, w * r]);
}
