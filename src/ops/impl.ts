import { currentBackend } from '../backend/current.js';
import { convOutputShape } from '../backend/geometry.js';
import { ShapeError } from '../core/errors.js';
import { sizeOf, tensor, type Tensor } from '../core/tensor.js';
import type { CompareOp, Primitive, PrimitiveParams } from './primitives.js';

/**
 * Evaluation rules: what each primitive computes on concrete tensors. Elementwise and
 * structural primitives are plain TypeScript loops; matmul and convolutions go to the current
 * backend. Inputs here are never tracers (the dispatcher strips transforms first).
 */
type EvalRule<P extends Primitive> = (inputs: readonly Tensor[], params: PrimitiveParams[P]) => Tensor;

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

const unary =
  (f: (x: number) => number): EvalRule<Primitive> =>
  ([x]) => {
    const a = x!.data;
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]!);
    return tensor(x!.shape, out);
  };

const binary =
  (f: (x: number, y: number) => number): EvalRule<Primitive> =>
  ([x, y]) => {
    const a = x!.data;
    const b = y!.data;
    if (a.length !== b.length) {
      throw new ShapeError('elementwise primitive needs equal shapes (broadcast first)', { a: x!.shape, b: y!.shape });
    }
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) out[i] = f(a[i]!, b[i]!);
    return tensor(x!.shape, out);
  };

const compareFns: Record<CompareOp, (x: number, y: number) => number> = {
  gt: (x, y) => (x > y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
};

/** Stable softplus log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)). */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Reduces over `axes` with `init` and `combine`; the reduced axes are dropped. */
function reduce(x: Tensor, axes: readonly number[], init: number, combine: (acc: number, v: number) => number): Tensor {
  const shape = x.shape;
  const reduced = new Set(axes);
  const outShape = shape.filter((_, i) => !reduced.has(i));
  const out = new Float64Array(sizeOf(outShape)).fill(init);
  // Output stride of each input axis (0 for reduced axes).
  const outStrides = stridesOf(outShape);
  const map: number[] = [];
  let j = 0;
  for (let i = 0; i < shape.length; i++) map.push(reduced.has(i) ? 0 : outStrides[j++]!);
  const idx = new Array<number>(shape.length).fill(0);
  const data = x.data;
  let o = 0;
  for (let flat = 0; flat < data.length; flat++) {
    out[o] = combine(out[o]!, data[flat]!);
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      o += map[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= map[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return tensor(outShape, Float32Array.from(out));
}

/** Gathers out[i] = x[offset + Σ idx_d · strides_d] over an output shape (used by transpose, broadcast, slice). */
function gather(x: Tensor, outShape: readonly number[], strides: readonly number[], offset: number): Tensor {
  const n = sizeOf(outShape);
  const out = new Float32Array(n);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  const data = x.data;
  let src = offset;
  for (let i = 0; i < n; i++) {
    out[i] = data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return tensor(outShape, out);
}

export const evalRules: { readonly [P in Primitive]: EvalRule<P> } = {
  neg: unary((x) => -x),
  exp: unary(Math.exp),
  log: unary(Math.log),
  log1p: unary(Math.log1p),
  sqrt: unary(Math.sqrt),
  abs: unary(Math.abs),
  sign: unary((x) => (x > 0 ? 1 : x < 0 ? -1 : x)),
  tanh: unary(Math.tanh),
  sigmoid: unary(sigmoid),
  softplus: unary(softplus),
  add: binary((x, y) => x + y),
  sub: binary((x, y) => x - y),
  mul: binary((x, y) => x * y),
  div: binary((x, y) => x / y),
  pow: binary(Math.pow),
  maximum: binary((x, y) => (x >= y || Number.isNaN(x) ? x : y)),
  minimum: binary((x, y) => (x <= y || Number.isNaN(x) ? x : y)),
  compare: (inputs, { op }) => binary(compareFns[op])(inputs, null),
  where: ([c, a, b]) => {
    const cd = c!.data;
    const ad = a!.data;
    const bd = b!.data;
    if (cd.length !== ad.length || ad.length !== bd.length) {
      throw new ShapeError('where needs equal shapes (broadcast first)', { cond: c!.shape, a: a!.shape, b: b!.shape });
    }
    const out = new Float32Array(ad.length);
    for (let i = 0; i < out.length; i++) out[i] = cd[i] !== 0 ? ad[i]! : bd[i]!;
    return tensor(a!.shape, out);
  },
  sum: ([x], { axes }) => reduce(x!, axes, 0, (acc, v) => acc + v),
  max: ([x], { axes }) => reduce(x!, axes, -Infinity, (acc, v) => (v > acc || Number.isNaN(v) ? v : acc)),
  reshape: ([x], { shape }) => tensor(shape, x!.data),
  transpose: ([x], { perm }) => {
    const s = stridesOf(x!.shape);
    return gather(x!, perm.map((p) => x!.shape[p]!), perm.map((p) => s[p]!), 0);
  },
  broadcastTo: ([x], { shape }) => {
    const xs = x!.shape;
    const s = stridesOf(xs);
    const lead = shape.length - xs.length;
    const strides = shape.map((_, i) => (i < lead || xs[i - lead] === 1 ? 0 : s[i - lead]!));
    return gather(x!, shape, strides, 0);
  },
  slice: ([x], { starts, sizes, steps }) => {
    const s = stridesOf(x!.shape);
    const offset = starts.reduce((acc, st, i) => acc + st * s[i]!, 0);
    return gather(x!, sizes, s.map((v, i) => v * steps[i]!), offset);
  },
  pad: ([x], { lo, hi, interior }) => {
    const xs = x!.shape;
    const outShape = xs.map((d, i) => (d === 0 ? 0 : d + (d - 1) * interior[i]!) + lo[i]! + hi[i]!);
    const out = new Float32Array(sizeOf(outShape));
    const os = stridesOf(outShape).map((s, i) => s * (interior[i]! + 1));
    const offset = lo.reduce((acc, l, i) => acc + l * stridesOf(outShape)[i]!, 0);
    // Scatter: walk x and write at the shifted position.
    const rank = xs.length;
    const idx = new Array<number>(rank).fill(0);
    let dst = offset;
    const data = x!.data;
    for (let i = 0; i < data.length; i++) {
      out[dst] = data[i]!;
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]!++;
        dst += os[d]!;
        if (idx[d]! < xs[d]!) break;
        dst -= os[d]! * xs[d]!;
        idx[d] = 0;
      }
    }
    return tensor(outShape, out);
  },
  concat: (inputs, { axis }) => {
    const first = inputs[0]!.shape;
    const total = inputs.reduce((acc, t) => acc + t.shape[axis]!, 0);
    const outShape = first.map((d, i) => (i === axis ? total : d));
    const outer = sizeOf(first.slice(0, axis));
    const inner = sizeOf(first.slice(axis + 1));
    const out = new Float32Array(sizeOf(outShape));
    let col = 0;
    const rowLen = total * inner;
    for (const t of inputs) {
      const chunk = t.shape[axis]! * inner;
      for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * chunk, (o + 1) * chunk), o * rowLen + col);
      col += chunk;
    }
    return tensor(outShape, out);
  },
  matmul: ([a, b], { transA, transB }) => {
    const [ar, ac] = a!.shape as [number, number];
    const [br, bc] = b!.shape as [number, number];
    const m = transA ? ac : ar;
    const k = transA ? ar : ac;
    const n = transB ? br : bc;
    return tensor([m, n], currentBackend().gemm(a!.data, b!.data, { m, n, k, transA, transB }));
  },
  conv2d: ([x, w], { geometry: g }) => tensor(convOutputShape(g), currentBackend().conv2d(x!.data, w!.data, g)),
  conv2dGradInput: ([dy, w], { geometry: g }) =>
    tensor([g.n, g.c, g.h, g.w], currentBackend().conv2dGradInput(dy!.data, w!.data, g)),
  conv2dGradWeight: ([x, dy], { geometry: g }) =>
    tensor([g.o, g.c, g.kh, g.kw], currentBackend().conv2dGradWeight(x!.data, dy!.data, g)),
};
