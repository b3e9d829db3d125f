import { ShapeError, ValueError } from '../core/errors.js';
import { randint, split, uniform, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { NO_STATE, type Layer, type NoState } from './layer.js';

export type DiffAugmentPolicy = 'color' | 'translation' | 'cutout';

export type DiffAugmentOptions = Readonly<{
  /** Which transforms, applied in this order; default all three, as the paper's best policy. */
  policy?: readonly DiffAugmentPolicy[];
  /** Largest shift as a fraction of the side (default 1/8): t ∈ {−s … s}, s = ⌊side·ratio + ½⌋. */
  translationRatio?: number;
  /** Side of the cut-out square as a fraction of the image side (default ½). */
  cutoutRatio?: number;
}>;

/** Per-sample shift matrices `[N, L, L]`: S[n, i, k] = 1 where k = i + t_n (zero padding beyond the edge). */
function shiftMatrices(shifts: Int32Array, size: number): Tensor {
  const data = new Float32Array(shifts.length * size * size);
  shifts.forEach((t, n) => {
    for (let i = 0; i < size; i++) {
      const k = i + t;
      if (k >= 0 && k < size) data[(n * size + i) * size + k] = 1;
    }
  });
  return tensor([shifts.length, size, size], data);
}

/** out[n, c, i, j] = x[n, c, i + tx_n, j + ty_n], zero outside: two per-sample shift-matrix products (differentiable in x). */
function translate(x: Tensor, key: Key, ratio: number): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kx, ky] = split(key);
  const sh = Math.floor(h * ratio + 0.5);
  const sw = Math.floor(w * ratio + 0.5);
  const rows = shiftMatrices(randint(kx!, [n], -sh, sh + 1), h);
  const cols = shiftMatrices(randint(ky!, [n], -sw, sw + 1), w);
  const alongW = sum(mul(reshape(x, [n, c, h, 1, w]), reshape(cols, [n, 1, 1, w, w])), { axis: 4 });
  return sum(mul(reshape(rows, [n, 1, h, h, 1]), reshape(alongW, [n, c, 1, h, w])), { axis: 3 });
}

/** Zeroes one square of side ⌊side·ratio + ½⌋ per sample, centred uniformly on the image (as the reference code). */
function cutout(x: Tensor, key: Key, ratio: number): Tensor {
  const [n, , h, w] = x.shape as [number, number, number, number];
  const ch = Math.floor(h * ratio + 0.5);
  const cw = Math.floor(w * ratio + 0.5);
  const [kx, ky] = split(key);
  const ox = randint(kx!, [n], 0, h + (1 - (ch % 2)));
  const oy = randint(ky!, [n], 0, w + (1 - (cw % 2)));
  const mask = new Float32Array(n * h * w).fill(1);
  for (let s = 0; s < n; s++) {
    for (let i = ox[s]! - Math.floor(ch / 2); i < ox[s]! - Math.floor(ch / 2) + ch; i++) {
      for (let j = oy[s]! - Math.floor(cw / 2); j < oy[s]! - Math.floor(cw / 2) + cw; j++) {
        if (i >= 0 && i < h && j >= 0 && j < w) mask[(s * h + i) * w + j] = 0;
      }
    }
  }
  return mul(x, tensor([n, 1, h, w], mask));
}

/**
 * Colour jitter per sample with u ~ U(0, 1): brightness x + (u₁ − ½); saturation
 * (x − x̄_c)·2u₂ + x̄_c with x̄_c the mean over channels; contrast (x − x̄)·(u₃ + ½) + x̄ with x̄
 * the sample's mean.
 */
function colour(x: Tensor, key: Key): Tensor {
  const n = x.shape[0]!;
  const [kb, ks, kc] = split(key, 3);
  const perSample = (k: Key, lo: number, hi: number): Tensor => uniform(k, [n, 1, 1, 1], lo, hi);
  const bright = add(x, perSample(kb!, -0.5, 0.5));
  const mc = mean(bright, { axis: 1, keepDims: true });
  const saturated = add(mul(sub(bright, mc), perSample(ks!, 0, 2)), mc);
  const m = mean(saturated, { axis: [1, 2, 3], keepDims: true });
  return add(mul(sub(saturated, m), perSample(kc!, 0.5, 1.5)), m);
}

/**
 * Differentiable Augmentation (Zhao et al. 2020), images `[N, C, H, W] → [N, C, H, W]`: colour
 * (brightness, saturation, contrast), translation by up to 1/8 of the side with zero fill, and
 * cutout of a square of half the side — every transform differentiable in x, so G learns through
 * it. Put it first in D: D's real and fake batches then go through the same policy, each with its
 * own draw from `ctx.key` (the paper's rule: augment both, in both the D and the G step). The
 * draws are host computations on the key; what touches x is ops only, so it traces. In
 * evaluation (`ctx.train` false) it is the identity; in training it needs `ctx.key`.
 */
export function DiffAugment(opts: DiffAugmentOptions = {}): Layer<NoState, NoState> {
  const policy = opts.policy ?? ['color', 'translation', 'cutout'];
  const tr = opts.translationRatio ?? 0.125;
  const cr = opts.cutoutRatio ?? 0.5;
  if (!(tr >= 0 && tr <= 1) || !(cr >= 0 && cr <= 1)) throw new ValueError(`DiffAugment ratios must lie in [0, 1], got translation ${tr}, cutout ${cr}`);
  const name = `DiffAugment(${policy.join(', ')})`;
  return {
    name,
    draws: true,
    init(_key, inputShape) {
      if (inputShape.length !== 3) throw new ShapeError(`${name} expects images [C, H, W] per sample`, { input: inputShape });
      return { params: NO_STATE, state: NO_STATE, outputShape: inputShape };
    },
    apply(_params, state, x, ctx) {
      if (x.shape.length !== 4) throw new ShapeError(`${name} expects images [N, C, H, W]`, { actual: x.shape });
      if (!ctx.train) return [x, state];
      if (ctx.key === undefined) throw new ValueError(`${name} in training mode needs ctx.key (one draw per batch)`);
      const keys = split(ctx.key, policy.length);
      let y = x;
      policy.forEach((p, i) => {
        const k = keys[i]!;
        y = p === 'color' ? colour(y, k) : p === 'translation' ? translate(y, k, tr) : cutout(y, k, cr);
      });
      return [y, state];
    },
  };
}
