import { ShapeError, ValueError } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { div } from '../ops/elementwise.js';
import { matmul, powerIterationStep } from '../ops/linalg.js';
import { reshape } from '../ops/shape.js';
import { stopGradient } from '../ops/stop_gradient.js';

/** Power-iteration vectors of spectral norm for W viewed as `[rows, cols]`: u `[rows]`, v `[cols]`. */
export type SpectralVectors = Readonly<{ u: Tensor; v: Tensor }>;

/** W `[out, ...]` viewed as the matrix `[out, in·kh·kw]` that spectral norm normalises. */
export function weightMatrixShape(w: Tensor): [number, number] {
  if (w.shape.length < 2) throw new ShapeError('spectral norm needs a weight of rank >= 2', { weight: w.shape });
  const rows = w.shape[0]!;
  return [rows, sizeOf(w.shape) / rows];
}

export type PowerIterateOptions = Readonly<{ steps?: number; eps?: number }>;

/**
 * `steps` (default 1) power iterations on stopGradient(W) from u (PyTorch's spectral_norm):
 * v = normalise(Wᵀu), u = normalise(W v), σ = uᵀ W v, one backend kernel call each
 * (`powerIterationStep`). Returns u `[rows]`, v `[cols]` and σ (0-d), all constants to autodiff.
 */
export function powerIterate(w: Tensor, u: Tensor, opts: PowerIterateOptions = {}): SpectralVectors & { sigma: Tensor } {
  const [rows, cols] = weightMatrixShape(w);
  if (u.shape.length !== 1 || u.shape[0] !== rows) {
    throw new ShapeError(`spectral norm u must be [${rows}]`, { weight: w.shape, u: u.shape });
  }
  const steps = opts.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1) throw new ValueError(`power iterations must be >= 1, got ${steps}`);
  const w2d = reshape(w, [rows, cols]);
  let it = powerIterationStep(w2d, u, { eps: opts.eps });
  for (let i = 1; i < steps; i++) it = powerIterationStep(w2d, it.u, { eps: opts.eps });
  return it;
}

/**
 * σ(W) = uᵀ W v (0-d) with u, v held constant (stopGradient): differentiable in W, with
 * ∂σ/∂W = u vᵀ. Two matrix-vector products.
 */
export function spectralSigma(w: Tensor, { u, v }: SpectralVectors): Tensor {
  const [rows, cols] = weightMatrixShape(w);
  const uW = matmul(reshape(stopGradient(u), [1, rows]), reshape(w, [rows, cols]));
  return reshape(matmul(uW, reshape(stopGradient(v), [cols, 1])), []);
}

/** W / σ(W) with σ = uᵀ W v (u, v constants), the weight a spectrally normalised layer uses. */
export function spectralNormalize(w: Tensor, vectors: SpectralVectors): Tensor {
  return div(w, spectralSigma(w, vectors));
}
