import { ShapeError } from '../core/errors.js';
import type { AdamLeaf, AdamStepSpec } from './backend.js';

/**
 * The fused Adam update on the host: validation shared by the backends, and the reference
 * loop (the oracle of the wasm kernel, `assembly/adam.ts`).
 *
 * The loop rounds every operation to float32 (`Math.fround`) in the order the op-composed
 * `adam` (src/optim/adam.ts) evaluates it, one primitive at a time, so its results are
 * bit-identical to that path; f32 ×, +, ÷ and √ of float32 operands computed in float64 and
 * rounded once are correctly rounded, so a wasm kernel doing the same f32 operations (no FMA,
 * no reciprocal) agrees bit for bit too.
 */

/** Σ leaf lengths; throws a ShapeError unless each leaf's four arrays have one length. */
export function checkAdamLeaves(leaves: readonly AdamLeaf[]): number {
  let total = 0;
  leaves.forEach((l, i) => {
    const n = l.param.length;
    if (l.grad.length !== n || l.m.length !== n || l.v.length !== n) {
      throw new ShapeError(
        `adamUpdate: leaf ${i} has param ${n}, grad ${l.grad.length}, m ${l.m.length} and v ${l.v.length} elements; all four must be equal`,
      );
    }
    total += n;
  });
  return total;
}

/** The spec's constants as the composed path's float32 scalars (each number operand of an op is a float32 0-d tensor). */
export function adamConstants(spec: AdamStepSpec) {
  const f = Math.fround;
  return {
    b1: f(spec.b1),
    ob1: f(1 - spec.b1),
    b2: f(spec.b2),
    ob2: f(1 - spec.b2),
    eps: f(spec.eps),
    epsRoot: f(spec.epsRoot),
    wd: f(spec.weightDecay),
    c1: f(spec.c1),
    c2: f(spec.c2),
    rate: f(-spec.lr),
  };
}

type AdamConstants = ReturnType<typeof adamConstants>;

/** Writes leaf `l`'s p', m', v' at `off` of the three sections of `out` (`[3·total]`, see `Backend.adamUpdate`). */
function adamLeaf(l: AdamLeaf, spec: AdamStepSpec, k: AdamConstants, out: Float32Array, off: number, total: number): void {
  const f = Math.fround;
  const l2 = spec.decay === 'l2';
  const decoupled = spec.decay === 'decoupled';
  const root = spec.epsRoot !== 0;
  const { param, grad, m, v } = l;
  if (spec.rule === 'adamax') {
    for (let i = 0; i < param.length; i++) {
      const p = param[i]!;
      const g = grad[i]!;
      const m1 = f(f(m[i]! * k.b1) + f(g * k.ob1));
      const x = f(v[i]! * k.b2);
      const y = f(Math.abs(g) + k.eps);
      // maximum's rule: NaN in either operand propagates.
      const v1 = x >= y || x !== x ? x : y;
      out[off + i] = f(p + f(f(m1 / f(v1 * k.c1)) * k.rate));
      out[total + off + i] = m1;
      out[2 * total + off + i] = v1;
    }
    return;
  }
  for (let i = 0; i < param.length; i++) {
    const p = param[i]!;
    let g = grad[i]!;
    if (l2) g = f(g + f(p * k.wd));
    const m1 = f(f(m[i]! * k.b1) + f(g * k.ob1));
    const v1 = f(f(v[i]! * k.b2) + f(f(g * g) * k.ob2));
    const vHat = f(v1 / k.c2);
    const den = f(f(Math.sqrt(root ? f(vHat + k.epsRoot) : vHat)) + k.eps);
    let u = f(f(m1 / k.c1) / den);
    if (decoupled) u = f(u + f(p * k.wd));
    out[off + i] = f(p + f(u * k.rate));
    out[total + off + i] = m1;
    out[2 * total + off + i] = v1;
  }
}

/** The reference backend's `adamUpdate`: plain loops, float32 rounding after every operation. */
export function adamUpdateReference(leaves: readonly AdamLeaf[], spec: AdamStepSpec): Float32Array {
  const total = checkAdamLeaves(leaves);
  const out = new Float32Array(3 * total);
  const k = adamConstants(spec);
  let off = 0;
  for (const l of leaves) {
    adamLeaf(l, spec, k, out, off, total);
    off += l.param.length;
  }
  return out;
}
