import { ValueError } from '../core/errors.js';

/**
 * The k-th smallest (1-based) of `values[0 … length − 1]` (`length` defaults to all) by partial selection (Hoare's
 * quickselect with a median-of-three pivot), O(length) on average instead of a sort's
 * O(length log length). Reorders `values` in place; NaN is not allowed.
 */
export function kthSmallest(values: Float64Array, opts: Readonly<{ k: number; length?: number }>): number {
  const { k } = opts;
  const length = opts.length ?? values.length;
  if (!(Number.isInteger(length) && length >= 1 && length <= values.length)) {
    throw new ValueError(`kthSmallest: length must be an integer in [1, ${values.length}], got ${length}`);
  }
  if (!(Number.isInteger(k) && k >= 1 && k <= length)) throw new ValueError(`kthSmallest: k must be an integer in [1, ${length}], got ${k}`);
  const target = k - 1;
  let lo = 0;
  let hi = length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = values[lo]!;
    const y = values[mid]!;
    const z = values[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target]!;
  }
  return values[target]!;
}
