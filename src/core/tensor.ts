import { ShapeError, ValueError, formatShape } from './errors.js';

/** Row-major (NCHW) immutable tensor. Never mutated after it is made. */
export type Tensor = Readonly<{ shape: readonly number[]; data: Float32Array }>;

export type Shape = readonly number[];

/** Product of dimensions; 1 for a scalar shape `[]`. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The most elements a tensor may hold: 2³¹ − 1 (8 GiB of float32), within what JavaScript
 * engines allow for one typed array, so an oversized shape fails with a clear error rather
 * than the engine's "Invalid typed array length".
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

const gib = (elements: number): string => `${((elements * 4) / 2 ** 30).toPrecision(3)} GiB`;

/** Validates a shape: non-negative safe integers, at most MAX_TENSOR_ELEMENTS elements in all. */
export function checkShape(shape: Shape, what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(`${what} must hold non-negative integers, got ${formatShape(shape)}`);
    }
  }
  const n = sizeOf(shape);
  if (n > MAX_TENSOR_ELEMENTS) {
    throw new ShapeError(
      `${what} ${formatShape(shape)} has ${n} elements (${gib(n)} of float32); a tensor holds at most ${MAX_TENSOR_ELEMENTS} (2^31 − 1, ${gib(MAX_TENSOR_ELEMENTS)})`,
    );
  }
}

/** A zeroed Float32Array for a checked shape; a ValueError naming the size if memory runs out. */
function allocate(shape: Shape): Float32Array {
  const n = sizeOf(shape);
  try {
    return new Float32Array(n);
  } catch (e) {
    if (e instanceof RangeError) throw new ValueError(`cannot allocate a tensor of shape ${formatShape(shape)}: ${n} elements (${gib(n)}) — ${e.message}`);
    throw e;
  }
}

/**
 * Makes a tensor from a shape and data (copied unless it is already a Float32Array of the
 * right size, which is then owned by the tensor and must not be mutated afterwards).
 */
export function tensor(shape: Shape, data: Float32Array | ArrayLike<number>): Tensor {
  checkShape(shape);
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new ShapeError(`data has ${data.length} elements but shape needs ${n}`, { shape });
  }
  const d = data instanceof Float32Array ? data : Float32Array.from(data);
  return Object.freeze({ shape: Object.freeze([...shape]), data: d });
}

/** A rank-0 tensor. */
export function scalar(x: number): Tensor {
  return tensor([], new Float32Array([x]));
}

export function zeros(shape: Shape): Tensor {
  checkShape(shape);
  return tensor(shape, allocate(shape));
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function full(shape: Shape, value: number): Tensor {
  checkShape(shape);
  return tensor(shape, allocate(shape).fill(value));
}

/**
 * Marks a tensor whose `data` is computed when read (a transform's `Tracer`): `isTensor`
 * accepts it from the mark and its shape, without reading data a tracer may not have.
 */
export const TRACED: unique symbol = Symbol('puregan.traced');

/** Marks a device-resident tensor (`device_tensor.ts`), whose `data` throws: `isTensor` accepts it from the mark. */
export const DEVICE_MARK: unique symbol = Symbol('puregan.device');

export function isTensor(x: unknown): x is Tensor {
  if (typeof x !== 'object' || x === null || !Array.isArray((x as { shape?: unknown }).shape)) return false;
  const marked = x as { [TRACED]?: unknown; [DEVICE_MARK]?: unknown };
  return marked[TRACED] === true || marked[DEVICE_MARK] !== undefined || (x as { data?: unknown }).data instanceof Float32Array;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws a ShapeError unless `t` has exactly `rank` dimensions. */
export function expectRank(t: Tensor | Shape, rank: number, what: string): void {
  const s = isTensor(t) ? t.shape : (t as Shape);
  if (s.length !== rank) {
    throw new ShapeError(`${what} must have rank ${rank}, got rank ${s.length}`, { [what]: s });
  }
}

/** The single number in a tensor of size 1. */
export function item(t: Tensor): number {
  if (t.data.length !== 1) {
    throw new ShapeError('item() needs a tensor with exactly one element', { tensor: t.shape });
  }
  return t.data[0] as number;
}

/** Nested JS arrays of a tensor (for printing and tests). */
export function toNested(t: Tensor): unknown {
  const rec = (off: number, dim: number): unknown => {
    if (dim === t.shape.length) return t.data[off];
    const n = t.shape[dim] as number;
    const stride = sizeOf(t.shape.slice(dim + 1));
    return Array.from({ length: n }, (_, i) => rec(off + i * stride, dim + 1));
  };
  return rec(0, 0);
}

/** Throws ValueError if any element is NaN or ±Inf; `what` names the tensor. */
export function assertFinite(t: Tensor, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i] as number)) {
      throw new ValueError(`${what} has a non-finite value ${d[i]} at flat index ${i} (shape ${formatShape(t.shape)})`);
    }
  }
}
