import { ShapeError, ValueError } from '../core/errors.js';
import { formatShape } from '../core/errors.js';
import { checkShape, shapesEqual, sizeOf, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { broadcastShapes } from './broadcast.js';

export { broadcastShapes };

/** Normalises a possibly negative axis against a rank; throws ValueError when out of range. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ValueError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** x `[...]` → `shape` (size must match; one entry may be −1 to infer it). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const size = sizeOf(x.shape);
  const infer = shape.indexOf(-1);
  const s = [...shape];
  if (infer >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== infer));
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`cannot infer -1 in reshape of ${size} elements to ${formatShape(shape)}`, { x: x.shape });
    }
    s[infer] = size / known;
  }
  checkShape(s, 'reshape target');
  if (sizeOf(s) !== size) {
    throw new ShapeError(`reshape cannot change the number of elements (${size} → ${sizeOf(s)})`, { x: x.shape, target: shape });
  }
  if (shapesEqual(s, x.shape)) return x;
  return bind('reshape', [x], { shape: s });
}

/** Flattens all axes from `startAxis` on: `[N, C, H, W] → [N, C·H·W]` for startAxis 1. */
export function flatten(x: Tensor, startAxis = 1): Tensor {
  const a = normAxis(startAxis, x.shape.length, 'startAxis');
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a))]);
}

/** Permutes axes: out.shape[i] = x.shape[perm[i]]. Default reverses the axes. */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const rank = x.shape.length;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || new Set(p.map((a) => normAxis(a, rank))).size !== rank) {
    throw new ShapeError(`transpose needs a permutation of 0..${rank - 1}, got ${formatShape(p)}`, { x: x.shape });
  }
  const pn = p.map((a) => normAxis(a, rank));
  if (pn.every((a, i) => a === i)) return x;
  return bind('transpose', [x], { perm: pn });
}

/** Broadcasts x to `shape` (NumPy rules). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const b = broadcastShapes(x.shape, shape);
  if (!shapesEqual(b, shape)) {
    throw new ShapeError(`cannot broadcast to the target shape`, { x: x.shape, target: shape });
  }
  if (shapesEqual(x.shape, shape)) return x;
  return bind('broadcastTo', [x], { shape: [...shape] });
}

/** Sums x down to `shape` (the adjoint of broadcastTo). */
export function sumTo(x: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const lead = x.shape.length - shape.length;
  if (lead < 0) throw new ShapeError('sumTo target has higher rank than x', { x: x.shape, target: shape });
  const axes: number[] = [];
  x.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length > 0 ? bind('sum', [x], { axes }) : x;
  return reshape(summed, shape);
}

/**
 * Strided slice along every axis: `starts`, `ends` (exclusive) and `steps` per axis, missing
 * trailing axes taken whole. Negative starts/ends count from the end.
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends?: readonly number[],
  steps?: readonly number[],
): Tensor {
  const rank = x.shape.length;
  if (starts.length > rank) throw new ShapeError(`slice has ${starts.length} starts for rank ${rank}`, { x: x.shape });
  const st: number[] = [];
  const sz: number[] = [];
  const sp: number[] = [];
  for (let d = 0; d < rank; d++) {
    const n = x.shape[d]!;
    const step = steps?.[d] ?? 1;
    if (!Number.isInteger(step) || step < 1) throw new ValueError(`slice step must be a positive integer, got ${step}`);
    let s = starts[d] ?? 0;
    let e = ends?.[d] ?? n;
    if (s < 0) s += n;
    if (e < 0) e += n;
    s = Math.min(Math.max(s, 0), n);
    e = Math.min(Math.max(e, s), n);
    st.push(s);
    sz.push(Math.ceil((e - s) / step));
    sp.push(step);
  }
  if (st.every((s) => s === 0) && sp.every((s) => s === 1) && sz.every((s, i) => s === x.shape[i])) return x;
  return bind('slice', [x], { starts: st, sizes: sz, steps: sp });
}

/** Zero padding: `widths[d] = [before, after]` for each axis (missing axes unpadded). */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[]): Tensor {
  const rank = x.shape.length;
  if (widths.length > rank) throw new ShapeError(`pad has ${widths.length} widths for rank ${rank}`, { x: x.shape });
  const lo = Array.from({ length: rank }, (_, d) => widths[d]?.[0] ?? 0);
  const hi = Array.from({ length: rank }, (_, d) => widths[d]?.[1] ?? 0);
  if ([...lo, ...hi].some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ValueError(`pad widths must be non-negative integers, got ${JSON.stringify(widths)}`);
  }
  if ([...lo, ...hi].every((v) => v === 0)) return x;
  return bind('pad', [x], { lo, hi, interior: lo.map(() => 0) });
}

/** Concatenates along `axis`; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis(axis, first.shape.length);
  for (const t of xs) {
    if (t.shape.length !== first.shape.length || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError(`concat along axis ${a} needs all other dimensions equal`, { first: first.shape, other: t.shape });
    }
  }
  if (xs.length === 1) return first;
  return bind('concat', xs, { axis: a });
}

/** Stacks equal-shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack needs at least one tensor');
  const shape = xs[0]!.shape;
  const a = normAxis(axis, shape.length + 1);
  for (const t of xs) if (!shapesEqual(t.shape, shape)) throw new ShapeError('stack needs equal shapes', { first: shape, other: t.shape });
  const expanded = xs.map((t) => reshape(t, [...shape.slice(0, a), 1, ...shape.slice(a)]));
  return concat(expanded, a);
}

/** Inserts a size-1 axis at `axis`. */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.shape.length + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes size-1 axes (all of them, or the ones listed). */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const rank = x.shape.length;
  const drop = new Set(axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((a) => normAxis(a, rank)));
  for (const a of drop) if (x.shape[a] !== 1) throw new ShapeError(`cannot squeeze axis ${a} of size ${x.shape[a]}`, { x: x.shape });
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}
