import { ValueError } from '../core/errors.js';
import { normal, split, uniform, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';
import type { AnyLayer } from '../nn/layer.js';

/** The latent prior of a run: N(0, 1) or U(−1, 1) in each of `dim` coordinates. */
export type LatentPrior = Readonly<{ dim: number; prior: 'normal' | 'uniform' }>;

/** `n` latents `[n, dim]` from the prior, deterministic in the key. */
export function sampleLatents(latent: LatentPrior, key: Key, n: number): Tensor {
  const shape = [n, latent.dim];
  return latent.prior === 'normal' ? normal(key, shape) : uniform(key, shape, -1, 1);
}

/**
 * G in eval mode (batch norm uses its running statistics): z `[N, dim]` → x `[N, ...dataShape]`;
 * a class-conditional G takes class ids `labels` `[N]` (its `ctx.labels`).
 */
export function generate(generator: AnyLayer, g: Readonly<{ params: unknown; state: unknown }>, z: Tensor, labels?: Tensor): Tensor {
  return generator.apply(g.params, g.state, z, { train: false, ...(labels ? { labels } : {}) })[0];
}

/** Class ids `[n]` cycling through `classes` (0, 1, …, classes − 1, 0, …): a sample grid's labels. */
export function cyclicLabels(n: number, classes: number): Tensor {
  return tensor([n], Float32Array.from({ length: n }, (_, i) => i % classes));
}

/**
 * Spherical interpolation between latents a and b (each `[dim]`) at t ∈ [0, 1]:
 *   slerp(a, b, t) = sin((1 − t)θ)/sin θ · a + sin(tθ)/sin θ · b,  θ = arccos(â · b̂),
 * the linear blend when a and b are (nearly) parallel. Computed in float64.
 */
export function slerp(a: ArrayLike<number>, b: ArrayLike<number>, t: number): Float64Array {
  const n = a.length;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb)));
  const theta = Math.acos(cos);
  const s = Math.sin(theta);
  const [wa, wb] = s < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * theta) / s, Math.sin(t * theta) / s];
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = wa * a[i]! + wb * b[i]!;
  return out;
}

/**
 * Latent walks `[walks·steps, dim]`: walk w goes from one random latent to another in `steps`
 * spherical-interpolation points (t = 0, 1/(steps−1), …, 1), row-major, so a grid of `steps`
 * columns shows one walk per row.
 */
export function interpolationLatents(opts: Readonly<{ latent: LatentPrior; key: Key; walks: number; steps: number }>): Tensor {
  if (!Number.isSafeInteger(opts.steps) || opts.steps < 2) throw new ValueError(`an interpolation needs at least 2 steps, got ${opts.steps}`);
  const [ka, kb] = split(opts.key) as [Key, Key];
  const a = sampleLatents(opts.latent, ka, opts.walks).data;
  const b = sampleLatents(opts.latent, kb, opts.walks).data;
  const d = opts.latent.dim;
  const out = new Float32Array(opts.walks * opts.steps * d);
  for (let w = 0; w < opts.walks; w++) {
    for (let s = 0; s < opts.steps; s++) {
      out.set(slerp(a.subarray(w * d, (w + 1) * d), b.subarray(w * d, (w + 1) * d), s / (opts.steps - 1)), (w * opts.steps + s) * d);
    }
  }
  return tensor([opts.walks * opts.steps, d], out);
}
