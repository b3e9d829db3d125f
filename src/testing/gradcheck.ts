import { valueAndGrad } from '../autodiff/reverse.js';
import { ValueError } from '../core/errors.js';
import { treeFlatten, treeUnflatten, type Leaf } from '../core/pytree.js';
import { randint, key as makeKey } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';

export type GradCheckOptions = Readonly<{
  /** Finite-difference step (central differences). */
  eps?: number;
  /** Relative tolerance: |ad − fd| <= atol + rtol·|fd| elementwise. */
  rtol?: number;
  atol?: number;
  /** At most this many elements per input leaf are perturbed (a seeded random subset beyond it). */
  maxElementsPerLeaf?: number;
  seed?: number;
  /**
   * Richardson extrapolation (default true): R(h) = (4·D(h/2) − D(h)) / 3 from central
   * differences D cancels the O(h²) truncation error, which otherwise dominates for functions
   * with large third derivatives (e.g. x⁴-like compositions near 0 in second-order checks).
   * It is taken at two levels, R(h/2) being the estimate and |R(h/2) − R(h)| (≈ 15× its
   * remaining O(h⁴) error) being added to the tolerance, so a steep but correct function is
   * not failed by truncation either: 6 evaluations of f per element (2 without Richardson).
   */
  richardson?: boolean;
  /**
   * Rounding noise of one float32 evaluation of f, in units of float32 rounding (2⁻²⁴) times
   * max |f| (default 4). Finite differences of float32 values carry an error of about
   * δ/h (central) or 6δ/h (Richardson at h/2 and h/4) with δ = noiseUlps·2⁻²⁴·max|f|, however
   * correct the gradient; that much is added to the tolerance, so a check of a function with
   * large values is not failed by rounding alone. Set 0 (and richardson: false) to compare with
   * atol/rtol only.
   */
  noiseUlps?: number;
}>;

export type GradCheckResult = Readonly<{
  ok: boolean;
  maxAbsErr: number;
  /**
   * max |ad − fd| / (atol + rtol·|fd| + rounding noise of the difference quotient + estimated
   * truncation error): ≤ 1 passes.
   */
  worstRatio: number;
  worst?: Readonly<{ leaf: number; index: number; autodiff: number; finiteDifference: number }>;
  checked: number;
}>;

/**
 * Compares reverse-mode gradients of a scalar function of a pytree of tensors with central
 * finite differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h, element by element (Richardson
 * extrapolated by default, with its truncation error estimated; the step is the float32
 * distance actually taken). Works for any f
 * built from puregan ops, including f that itself calls `grad` (second order).
 */
export function checkGradients<T>(f: (inputs: T) => Tensor, inputs: T, opts: GradCheckOptions = {}): GradCheckResult {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 2e-2;
  const atol = opts.atol ?? 2e-3;
  const { leaves, treedef } = treeFlatten(inputs);
  const [, g] = valueAndGrad((x: T) => f(x))(inputs);
  const gl = treeFlatten(g).leaves;
  /** f with element `elem` of leaf `leafIndex` set to float32(x + delta); also returns that value. */
  const evalAt = (leafIndex: number, elem: number, delta: number): [number, number] => {
    let moved = 0;
    const perturbed: Leaf[] = leaves.map((l, i) => {
      if (i !== leafIndex || typeof l === 'number') return l;
      const d = Float32Array.from(l.data);
      d[elem] = d[elem]! + delta;
      moved = d[elem]!;
      return tensor(l.shape, d);
    });
    const y = f(treeUnflatten<T>(treedef, perturbed));
    if (y.data.length !== 1) throw new ValueError('checkGradients needs a scalar function');
    return [y.data[0]!, moved];
  };
  const noiseUlps = opts.noiseUlps ?? 4;
  if (!(noiseUlps >= 0)) throw new ValueError(`checkGradients: noiseUlps must be >= 0, got ${noiseUlps}`);
  /** Largest |f| seen while differencing the current element (scales the rounding noise). */
  let fScale = 0;
  const central = (li: number, i: number, h: number): [number, number] => {
    const [yp, xp] = evalAt(li, i, h);
    const [ym, xm] = evalAt(li, i, -h);
    fScale = Math.max(fScale, Math.abs(yp), Math.abs(ym));
    return [(yp - ym) / (xp - xm), xp - xm];
  };
  const richardson = opts.richardson ?? true;
  let maxAbsErr = 0;
  let worstRatio = 0;
  let worst: GradCheckResult['worst'];
  let checked = 0;
  leaves.forEach((leaf, li) => {
    if (typeof leaf === 'number') return;
    const n = leaf.data.length;
    const limit = opts.maxElementsPerLeaf ?? 32;
    const indices = n <= limit ? Array.from({ length: n }, (_, i) => i) : Array.from(randint(makeKey((opts.seed ?? 0) + li), [limit], 0, n));
    const gd = (gl[li] as Tensor).data;
    for (const i of indices) {
      const h = eps * Math.max(1, Math.abs(leaf.data[i]!));
      fScale = 0;
      let fd: number;
      let noiseFactor: number; // rounding error of fd per unit of δ
      let truncation = 0; // estimated truncation error of fd
      if (richardson) {
        const [dFull] = central(li, i, h);
        const [dHalf, wHalf] = central(li, i, h / 2);
        const [dQuarter, wQuarter] = central(li, i, h / 4);
        const coarse = (4 * dHalf - dFull) / 3;
        fd = (4 * dQuarter - dHalf) / 3;
        truncation = Math.abs(fd - coarse);
        noiseFactor = (4 * (2 / wQuarter) + 2 / wHalf) / 3;
      } else {
        const [d, w] = central(li, i, h);
        fd = d;
        noiseFactor = 2 / w;
      }
      const noise = noiseFactor * noiseUlps * 2 ** -24 * fScale;
      const ad = gd[i]!;
      const err = Math.abs(ad - fd);
      const ratio = err / (atol + rtol * Math.abs(fd) + noise + truncation);
      checked++;
      maxAbsErr = Math.max(maxAbsErr, err);
      if (!(ratio <= worstRatio)) {
        worstRatio = ratio;
        worst = { leaf: li, index: i, autodiff: ad, finiteDifference: fd };
      }
    }
  });
  return { ok: worstRatio <= 1, maxAbsErr, worstRatio, ...(worst ? { worst } : {}), checked };
}

/** Throws an Error describing the worst element when `checkGradients` fails. */
export function assertGradients<T>(f: (inputs: T) => Tensor, inputs: T, opts: GradCheckOptions = {}): GradCheckResult {
  const r = checkGradients(f, inputs, opts);
  if (!r.ok) {
    const w = r.worst;
    throw new Error(
      `gradient check failed: leaf ${w?.leaf} element ${w?.index}: autodiff ${w?.autodiff} vs finite difference ${w?.finiteDifference} (ratio ${r.worstRatio.toFixed(2)} of tolerance)`,
    );
  }
  return r;
}
