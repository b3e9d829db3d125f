import { ShapeError } from '../core/errors.js';

/** NumPy broadcasting of two shapes; ShapeError naming both when incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`shapes cannot be broadcast together (dimension ${i}: ${da} vs ${db})`, { a, b });
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

