import { currentBackend } from '../backend/current.js';
import { ShapeError, ValueError } from '../core/errors.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';
import { div, mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';

/** Power-iteration vectors of spectral norm for W viewed as `[rows, cols]`. */
export type SpectralVectors = Readonly<{ u: Tensor; v: Tensor }>;

/** W `[out, ...]` viewed as the matrix `[out, in·kh·kw]` that spectral norm normalises. */
export function weightMatrixShape(w: Tensor): [number, number] {
  if (w.shape.length < 2) throw new ShapeError('spectral norm needs a weight of rank >= 2', { weight: w.shape });
  const rows = w.shape[0]!;
  return [rows, w.data.length / rows];
}

/**
 * `steps` power iterations on stopGradient(W) from u (PyTorch's spectral_norm):
 * v = normalise(Wᵀu), u = normalise(W v), each on the backend. Returns the new u `[rows]`
 * and v `[cols]`; no gradient flows through them.
 */
export function powerIterate(w: Tensor, u: Tensor, steps = 1, eps = 1e-12): SpectralVectors & { sigma: number } {
  const [rows, cols] = weightMatrixShape(w);
  if (u.shape.length !== 1 || u.shape[0] !== rows) {
    throw new ShapeError(`spectral norm u must be [${rows}]`, { weight: w.shape, u: u.shape });
  }
  if (!Number.isInteger(steps) || steps < 1) throw new ValueError(`power iterations must be >= 1, got ${steps}`);
  const wd = concrete(w).data;
  let ud: Float32Array = concrete(u).data;
  let vd: Float32Array = new Float32Array(cols);
  let sigma = 0;
  for (let i = 0; i < steps; i++) {
    const r = currentBackend().powerIteration(wd, rows, cols, ud, eps);
    ud = r.u;
    vd = r.v;
    sigma = r.sigma;
  }
  return { u: tensor([rows], ud), v: tensor([cols], vd), sigma };
}

/** σ(W) = uᵀ W v with u, v held constant: differentiable in W. Returns a scalar tensor. */
export function spectralSigma(w: Tensor, { u, v }: SpectralVectors): Tensor {
  const [rows, cols] = weightMatrixShape(w);
  const outer = tensor([rows, cols], outerProduct(concrete(u).data, concrete(v).data));
  return sum(mul(reshape(w, [rows, cols]), outer));
}

function outerProduct(u: Float32Array, v: Float32Array): Float32Array {
  const out = new Float32Array(u.length * v.length);
  for (let i = 0; i < u.length; i++) for (let j = 0; j < v.length; j++) out[i * v.length + j] = u[i]! * v[j]!;
  return out;
}

/** W / σ(W) with σ = uᵀ W v (u, v constants), the weight a spectrally normalised layer uses. */
export function spectralNormalize(w: Tensor, vectors: SpectralVectors): Tensor {
  return div(w, spectralSigma(w, vectors));
}
