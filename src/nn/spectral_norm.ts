import { ShapeError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { pair, type Pair } from '../core/pair.js';
import { normal, split } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { div, maximum, sqrt, square } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { powerIterate, spectralNormalize, weightMatrixShape } from './spectral.js';
import { expectTensors, type Layer } from './layer.js';

/**
 * A spectrally normalised layer's state: the wrapped layer's state, the power-iteration
 * vectors u `[rows]`, v `[cols]`, and σ (0-d), the estimate uᵀWv of the largest singular value
 * of the weight the last `refresh` (or `init`) saw: read `state.sigma` for metrics.
 */
export type SpectralNormState<S> = Readonly<{ inner: S; u: Tensor; v: Tensor; sigma: Tensor }>;

export type SpectralNormOptions = Readonly<{
  /** Power iterations per `refresh` (one optimisation step). Default 1, as SN-GAN. */
  powerIterations?: number;
  /** Iterations run at init so σ starts close to the true value (PyTorch runs 15). */
  initIterations?: number;
  eps?: number;
}>;

/**
 * Spectral normalisation (Miyato et al. 2018) of a layer whose params hold `weight`
 * (`[out, ...]`, viewed as the matrix `[out, in·kh·kw]`): the forward pass uses W/σ with
 * σ = uᵀWv and (u, v) from state, held constant for the gradient (as PyTorch).
 *
 * `refresh(params, state)` runs `powerIterations` steps on stopGradient(W) and is the only
 * thing that changes u, v and σ; `apply` never does. A D step refreshes once, then applies D to
 * real, fake and interpolated batches with the same state: exactly one power iteration per step.
 * Both are built from ops only, so a step that uses them can be traced.
 *
 * For a Linear layer this bounds the layer's Lipschitz constant by 1 once σ has converged. For
 * a conv layer it does not: see `convLipschitzBound`.
 */
export function spectralNorm<P extends Readonly<{ weight: Tensor }>, S>(
  layer: Layer<P, S>,
  opts: SpectralNormOptions = {},
): Layer<P, SpectralNormState<S>> {
  checkOptions('spectralNorm', opts, { powerIterations: true, initIterations: true, eps: true });
  const steps = opts.powerIterations ?? 1;
  const eps = opts.eps ?? 1e-12;
  const name = `SpectralNorm(${layer.name})`;
  return {
    name,
    ...(layer.draws === true ? { draws: true } : {}),
    init(key, inputShape) {
      const [k1, k2] = split(key);
      const r = layer.init(k1!, inputShape);
      if (r.params.weight === undefined) throw new ShapeError(`${name}: the wrapped layer has no weight`);
      const [rows] = weightMatrixShape(r.params.weight);
      // u₀ ~ N(0, I) normalised as PyTorch's F.normalize: u₀ / max(‖u₀‖, eps).
      const u0 = normal(k2!, [rows]);
      const unit = div(u0, maximum(sqrt(sum(square(u0))), eps));
      const { u, v, sigma } = powerIterate(r.params.weight, unit, { steps: Math.max(opts.initIterations ?? 15, 1), eps });
      return { params: r.params, state: { inner: r.state, u, v, sigma }, outputShape: r.outputShape };
    },
    apply(params, state, x, ctx) {
      expectTensors(name, 'params', params, ['weight']);
      expectTensors(name, 'state', state, ['u', 'v']);
      const weight = spectralNormalize(params.weight, state);
      const [y, inner] = layer.apply({ ...params, weight }, state.inner, x, ctx);
      return [y, { ...state, inner }];
    },
    refresh(params, state) {
      const { u, v, sigma } = powerIterate(params.weight, state.u, { steps, eps });
      const inner = layer.refresh ? layer.refresh(params, state.inner) : state.inner;
      return { inner, u, v, sigma };
    },
  };
}

/**
 * Upper bound on the L2 operator norm (Lipschitz constant) of a conv2d whose reshaped weight
 * `[out, C·kh·kw]` has spectral norm σ_W (1 after spectral normalisation):
 *
 *   ‖conv(x)‖² = Σ_p ‖W·patch_p(x)‖² ≤ σ_W² · Σ_p ‖patch_p(x)‖² ≤ σ_W² · m_h · m_w · ‖x‖²
 *
 * where m = ⌈k·gcd(s, d)/s⌉ bounds how many output positions' patches contain one input pixel
 * along an axis (kernel k, stride s, dilation d). So Lip(conv) ≤ σ_W·√(m_h·m_w): 2 for the
 * DCGAN discriminator's k4 s2 convs, 3 for k3 s1. The bound is tight for stride 1 on large
 * inputs (a constant kernel on a constant image), so SN on the reshaped weight does *not* make
 * a conv layer 1-Lipschitz.
 */
export function convLipschitzBound(
  opts: Readonly<{ kernel: Pair; stride?: Pair; dilation?: Pair; sigma?: number }>,
): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const [kh, kw] = pair(opts.kernel);
  const [sh, sw] = pair(opts.stride, 1);
  const [dh, dw] = pair(opts.dilation, 1);
  const mh = Math.ceil((kh * gcd(sh, dh)) / sh);
  const mw = Math.ceil((kw * gcd(sw, dw)) / sw);
  return (opts.sigma ?? 1) * Math.sqrt(mh * mw);
}
