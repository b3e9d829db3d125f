import fc from 'fast-check';
import { vjp } from '../autodiff/reverse.js';
import { ValueError } from '../core/errors.js';
import { normal, key as makeKey, type Key } from '../core/random.js';
import { tensor, zeros, type Tensor } from '../core/tensor.js';

const norm = (t: Tensor): number => Math.sqrt(t.data.reduce((a, v) => a + v * v, 0));
const scaled = (t: Tensor, s: number): Tensor => tensor(t.shape, t.data.map((v) => v * s));

/**
 * The Jacobian-vector product J·v of f at x using only reverse mode: the pullback
 * w ↦ Jᵀw is linear, so the pullback *of the pullback* maps v to J·v.
 */
export function jvpByDoubleVjp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor): Tensor {
  const [y, pullback] = vjp(f, x);
  const [, pullbackOfPullback] = vjp((w: Tensor) => pullback(w), zeros(y.shape));
  return pullbackOfPullback(v);
}

export type LipschitzEstimate = Readonly<{ sigma: number; direction: Tensor; iterations: number }>;

/**
 * Local Lipschitz constant of f at x: the spectral norm of its Jacobian J(x), by power iteration
 * on JᵀJ (v ← Jᵀ(J v)/‖·‖, σ = ‖J v‖) with J·v from `jvpByDoubleVjp` and Jᵀ·u from vjp. A lower
 * bound on f's global Lipschitz constant; the supremum over x is the constant itself.
 */
export function estimateLipschitz(
  f: (x: Tensor) => Tensor,
  x: Tensor,
  opts: Readonly<{ iterations?: number; key?: Key; tol?: number }> = {},
): LipschitzEstimate {
  const iterations = opts.iterations ?? 50;
  let v = normal(opts.key ?? makeKey(0), x.shape);
  v = scaled(v, 1 / (norm(v) || 1));
  const [, pullback] = vjp(f, x);
  let sigma = 0;
  let i = 0;
  for (; i < iterations; i++) {
    const jv = jvpByDoubleVjp(f, x, v);
    const next = norm(jv);
    const jtjv = pullback(jv);
    const n = norm(jtjv);
    if (n === 0) return { sigma: 0, direction: v, iterations: i + 1 };
    v = scaled(jtjv, 1 / n);
    const done = Math.abs(next - sigma) <= (opts.tol ?? 1e-6) * Math.max(next, 1e-12);
    sigma = next;
    if (done) break;
  }
  return { sigma, direction: v, iterations: i };
}

export type LipschitzBoundOptions = Readonly<{
  /** Inputs to test at (each a batch). */
  inputs: fc.Arbitrary<Tensor>;
  numRuns?: number;
  /** Allowed relative excess over the bound (float32 noise and unconverged iterations). */
  rtol?: number;
  iterations?: number;
}>;

/**
 * Property: f is `bound`-Lipschitz. For random inputs x and x' (same shape, from `inputs`),
 * checks ‖f(x) − f(x')‖ ≤ bound·‖x − x'‖ and the local estimate σ(J(x)) ≤ bound, each up to
 * (1 + rtol). Throws fast-check's counterexample report when violated.
 */
export function checkLipschitzBound(f: (x: Tensor) => Tensor, bound: number, opts: LipschitzBoundOptions): void {
  if (!(bound >= 0)) throw new ValueError(`Lipschitz bound must be >= 0, got ${bound}`);
  const slack = 1 + (opts.rtol ?? 1e-3);
  fc.assert(
    fc.property(
      opts.inputs.chain((x) => fc.tuple(fc.constant(x), fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: x.data.length, maxLength: x.data.length }))),
      ([x, delta]) => {
        const x2 = tensor(x.shape, x.data.map((v, i) => v + delta[i]!));
        const y1 = f(x).data;
        const y2 = f(x2).data;
        const dy = Math.sqrt(y1.reduce((a, v, i) => a + (v - y2[i]!) ** 2, 0));
        const dx = Math.sqrt(delta.reduce((a, v) => a + v * v, 0));
        if (dy > bound * dx * slack + 1e-6) throw new Error(`‖f(x) − f(x')‖ = ${dy} > ${bound}·‖x − x'‖ = ${bound * dx}`);
        const est = estimateLipschitz(f, x, { iterations: opts.iterations ?? 30 });
        if (est.sigma > bound * slack) throw new Error(`local Lipschitz estimate ${est.sigma} exceeds the bound ${bound}`);
      },
    ),
    { numRuns: opts.numRuns ?? 25 },
  );
}
