import { shapesEqual, type Tensor } from '../core/tensor.js';

/**
 * Tolerance of a comparison with float32 PyTorch results. An element passes when
 * |ours − ref| <= rtol · (|ref| + floor · max|ref|): relative for elements near the tensor's
 * scale, absolute (rtol·floor·max|ref|) for elements much smaller than it, where float32
 * cancellation in long reductions dominates. With `minScale`, the denominator is at least
 * minScale: |ours − ref| <= rtol · max(|ref| + floor · max|ref|, minScale).
 */
export type Tolerance = Readonly<{ rtol: number; floor: number; minScale?: number }>;

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-4, floor: 0.1 };

export type Comparison = Readonly<{ ok: boolean; maxAbsErr: number; maxRelErr: number; problem?: string }>;

/** Compares two tensors; NaN in either place where the other is not NaN is a failure. */
export function compareTensors(ours: Tensor, ref: Tensor, tol: Tolerance = DEFAULT_TOLERANCE): Comparison {
  if (!shapesEqual(ours.shape, ref.shape)) {
    return { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, problem: `shape [${ours.shape.join(', ')}] vs reference [${ref.shape.join(', ')}]` };
  }
  let scale = 0;
  for (const v of ref.data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let maxAbsErr = 0;
  let maxRelErr = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const a = ours.data[i]!;
    const b = ref.data[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return { ok: false, maxAbsErr: NaN, maxRelErr: NaN, problem: `NaN mismatch at index ${i}` };
      continue;
    }
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (a !== b) return { ok: false, maxAbsErr: Infinity, maxRelErr: Infinity, problem: `infinity mismatch at index ${i}` };
      continue;
    }
    const err = Math.abs(a - b);
    maxAbsErr = Math.max(maxAbsErr, err);
    const denom = Math.max(Math.abs(b) + tol.floor * scale, tol.minScale ?? 0);
    maxRelErr = Math.max(maxRelErr, denom > 0 ? err / denom : err === 0 ? 0 : Infinity);
  }
  return { ok: maxRelErr <= tol.rtol, maxAbsErr, maxRelErr };
}
