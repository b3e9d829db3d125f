import { adamUpdateReference } from '../backend/adam_step.js';
import type { AdamLeaf } from '../backend/backend.js';
import { currentBackend } from '../backend/current.js';
import { convOutputShape } from '../backend/geometry.js';
import { shapesEqual, sizeOf, tensor, type Tensor } from '../core/tensor.js';
import { ShapeError } from '../core/errors.js';
import { broadcastShapes } from './broadcast.js';
import type { CompareOp, Inputs, Params, Primitive } from './primitives.js';

/**
 * Evaluation rules: what each primitive computes on concrete tensors. Elementwise and
 * structural primitives are plain TypeScript loops; matmul and convolutions go to the current
 * backend. Inputs here are never tracers (the dispatcher strips transforms first).
 */
type EvalRule<P extends Primitive> = (inputs: Inputs<P>, params: Params<P>) => Tensor;

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * 1 when the float32 with these bits is ≤ 0 (including −0), else 0, without a data-dependent
 * branch: the sign bit, or'ed with "all bits zero" (+0), which is (b | −b) having a clear sign.
 */
const notPositive = (b: number): number => (b >>> 31) | (((b | -b) >>> 31) ^ 1);

/**
 * out[i] = v[i] where x[i] > 0, slope·v[i] where x[i] ≤ 0 (PyTorch's choice at the kink):
 * leakyRelu is v = x, its VJP v = the cotangent. Branch-free, the factor coming from x's bits:
 * on random signs `x > 0 ? v : v * slope` mispredicts half the time (the README's elementwise
 * notes give the measured cost). NaN in v propagates; a NaN x with a clear sign bit passes v.
 */
function leakyMask(x: Float32Array, v: Float32Array, slope: number): Float32Array {
  const bits = new Int32Array(x.buffer, x.byteOffset, x.length);
  const out = new Float32Array(x.length);
  const d = slope - 1;
  for (let i = 0; i < x.length; i++) out[i] = v[i]! * (1 + d * notPositive(bits[i]!));
  return out;
}

/**
 * Elementwise kernels are written out per op (not as one loop calling a closure) so that V8
 * compiles each loop with its operation inlined; a shared loop calling `f(x)` goes megamorphic
 * and runs several times slower (measured in the README's elementwise notes).
 */
type UnaryKernel = (x: Float32Array, out: Float32Array) => void;

const unary =
  (k: UnaryKernel) =>
  ([x]: readonly [Tensor]): Tensor => {
    const out = new Float32Array(x.data.length);
    k(x.data, out);
    return tensor(x.shape, out);
  };

const unaryKernels = {
  neg: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = -x[i]!;
  },
  exp: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.exp(x[i]!);
  },
  log: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.log(x[i]!);
  },
  log1p: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.log1p(x[i]!);
  },
  sqrt: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.sqrt(x[i]!);
  },
  abs: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.abs(x[i]!);
  },
  sign: (x, o) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? 1 : v < 0 ? -1 : v;
    }
  },
  tanh: (x, o) => {
    for (let i = 0; i < x.length; i++) o[i] = Math.tanh(x[i]!);
  },
  // σ(x) = 1/(1 + e⁻ˣ) for x ≥ 0, eˣ/(1 + eˣ) otherwise (no overflow either way).
  sigmoid: (x, o) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
      else {
        const e = Math.exp(v);
        o[i] = e / (1 + e);
      }
    }
  },
  // Stable softplus log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)).
  softplus: (x, o) => {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      o[i] = Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }
  },
} satisfies Record<string, UnaryKernel>;

/**
 * Binary kernels with NumPy broadcasting. `mode` 0: equal sizes; 1: b is a scalar; 2: a is a
 * scalar. Other broadcasts are materialised first (see `binary`).
 */
type BinaryKernel = (a: Float32Array, b: Float32Array, o: Float32Array, mode: 0 | 1 | 2) => void;

const binaryKernels = {
  add: (a, b, o, mode) => {
    const n = o.length;
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!;
    else if (mode === 1) for (let i = 0, s = b[0]!; i < n; i++) o[i] = a[i]! + s;
    else for (let i = 0, s = a[0]!; i < n; i++) o[i] = s + b[i]!;
  },
  sub: (a, b, o, mode) => {
    const n = o.length;
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!;
    else if (mode === 1) for (let i = 0, s = b[0]!; i < n; i++) o[i] = a[i]! - s;
    else for (let i = 0, s = a[0]!; i < n; i++) o[i] = s - b[i]!;
  },
  mul: (a, b, o, mode) => {
    const n = o.length;
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!;
    else if (mode === 1) for (let i = 0, s = b[0]!; i < n; i++) o[i] = a[i]! * s;
    else for (let i = 0, s = a[0]!; i < n; i++) o[i] = s * b[i]!;
  },
  div: (a, b, o, mode) => {
    const n = o.length;
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!;
    else if (mode === 1) for (let i = 0, s = b[0]!; i < n; i++) o[i] = a[i]! / s;
    else for (let i = 0, s = a[0]!; i < n; i++) o[i] = s / b[i]!;
  },
  pow: (a, b, o, mode) => {
    const n = o.length;
    if (mode === 0) for (let i = 0; i < n; i++) o[i] = Math.pow(a[i]!, b[i]!);
    else if (mode === 1) for (let i = 0, s = b[0]!; i < n; i++) o[i] = Math.pow(a[i]!, s);
    else for (let i = 0, s = a[0]!; i < n; i++) o[i] = Math.pow(s, b[i]!);
  },
  // max/min propagate NaN from either side, like PyTorch's maximum/minimum.
  maximum: (a, b, o, mode) => {
    const n = o.length;
    for (let i = 0; i < n; i++) {
      const x = mode === 2 ? a[0]! : a[i]!;
      const y = mode === 1 ? b[0]! : b[i]!;
      o[i] = x >= y || x !== x ? x : y;
    }
  },
  minimum: (a, b, o, mode) => {
    const n = o.length;
    for (let i = 0; i < n; i++) {
      const x = mode === 2 ? a[0]! : a[i]!;
      const y = mode === 1 ? b[0]! : b[i]!;
      o[i] = x <= y || x !== x ? x : y;
    }
  },
} satisfies Record<string, BinaryKernel>;

/** x broadcast to `shape` as a full array (NumPy rules; x's shape must be compatible). */
function materialise(x: Tensor, shape: readonly number[]): Float32Array {
  if (shapesEqual(x.shape, shape)) return x.data;
  const xs = x.shape;
  const s = stridesOf(xs);
  const lead = shape.length - xs.length;
  const strides = shape.map((_, i) => (i < lead || xs[i - lead] === 1 ? 0 : s[i - lead]!));
  return gather(x, shape, strides, 0).data;
}

const binary =
  (k: BinaryKernel) =>
  ([x, y]: readonly [Tensor, Tensor]): Tensor => {
    const shape = broadcastShapes(x.shape, y.shape);
    const n = sizeOf(shape);
    const out = new Float32Array(n);
    const a = x.data;
    const b = y.data;
    if (a.length === n && b.length === n) k(a, b, out, 0);
    else if (a.length === n && b.length === 1) k(a, b, out, 1);
    else if (b.length === n && a.length === 1) k(a, b, out, 2);
    else if (!blockedBroadcast(k, x, y, shape, out)) k(materialise(x, shape), materialise(y, shape), out, 0);
    return tensor(shape, out);
  };

/**
 * The common broadcasts without materialising: one operand full-size and the other varying
 * over one contiguous run of dimensions (a bias `[C, 1, 1]` against `[N, C, H, W]`, a row
 * `[C]` against `[N, C]`). The output is split into outer × mid × inner blocks and the kernel
 * runs on subarray views, so it stays monomorphic. Returns false for other patterns.
 */
function blockedBroadcast(k: BinaryKernel, x: Tensor, y: Tensor, shape: readonly number[], out: Float32Array): boolean {
  const n = out.length;
  const smallIsB = x.data.length === n;
  if (!smallIsB && y.data.length !== n) return false;
  const small = smallIsB ? y : x;
  const rank = shape.length;
  const padded = [...new Array<number>(rank - small.shape.length).fill(1), ...small.shape];
  let d0 = -1;
  let d1 = -1;
  for (let d = 0; d < rank; d++) {
    if (padded[d] === 1 && shape[d] !== 1) continue;
    if (d0 === -1) d0 = d;
    else if (d1 !== -1) return false; // a second run of varying dimensions
    if (d + 1 === rank || (padded[d + 1] === 1 && shape[d + 1] !== 1)) d1 = d + 1;
  }
  if (d0 === -1) return false;
  const outer = sizeOf(shape.slice(0, d0));
  const mid = sizeOf(shape.slice(d0, d1));
  const inner = sizeOf(shape.slice(d1));
  const big = smallIsB ? x.data : y.data;
  const s = small.data;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const lo = o * mid;
      const bigRow = big.subarray(lo, lo + mid);
      k(smallIsB ? bigRow : s, smallIsB ? s : bigRow, out.subarray(lo, lo + mid), 0);
    }
    return true;
  }
  if (inner < 8) return false;
  for (let o = 0; o < outer; o++) {
    for (let m = 0; m < mid; m++) {
      const lo = (o * mid + m) * inner;
      const bigRow = big.subarray(lo, lo + inner);
      const sv = s.subarray(m, m + 1);
      k(smallIsB ? bigRow : sv, smallIsB ? sv : bigRow, out.subarray(lo, lo + inner), smallIsB ? 1 : 2);
    }
  }
  return true;
}

const compareFns: Record<CompareOp, (x: number, y: number) => number> = {
  gt: (x, y) => (x > y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
};

/**
 * The index carry shared by every strided walk (reduce, gather, pad): moves the multi-index
 * `idx` over `shape` one position on (last axis fastest, updated in place) and returns how far
 * a linear offset with per-axis `strides` moves (an axis that wraps steps back stride·(size − 1)).
 */
function advance(idx: number[], shape: readonly number[], strides: readonly number[]): number {
  let delta = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    const i = idx[d]! + 1;
    if (i < shape[d]!) {
      idx[d] = i;
      return delta + strides[d]!;
    }
    idx[d] = 0;
    delta -= strides[d]! * (shape[d]! - 1);
  }
  return delta;
}

/** Reduces over `axes` (sum or max); the reduced axes are dropped. */
function reduce(x: Tensor, axes: readonly number[], kind: 'sum' | 'max'): Tensor {
  const shape = x.shape;
  const reduced = new Set(axes);
  const outShape = shape.filter((_, i) => !reduced.has(i));
  const out = new Float64Array(sizeOf(outShape)).fill(kind === 'sum' ? 0 : -Infinity);
  // Collapse neighbouring axes of the same kind into groups; the last group is walked by a
  // tight inner loop (contiguous in x).
  const groups: { size: number; reduced: boolean }[] = [];
  shape.forEach((d, i) => {
    const r = reduced.has(i);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.reduced === r) last.size *= d;
    else groups.push({ size: d, reduced: r });
  });
  const data = x.data;
  const inner = groups.pop() ?? { size: 1, reduced: false };
  // Output stride of each outer group (0 for reduced groups).
  const sizes = groups.map((g) => g.size);
  const outStride: number[] = [];
  let acc = inner.reduced ? 1 : inner.size;
  for (let g = groups.length - 1; g >= 0; g--) {
    outStride[g] = groups[g]!.reduced ? 0 : acc;
    if (!groups[g]!.reduced) acc *= groups[g]!.size;
  }
  const outer = sizeOf(sizes);
  const idx = new Array<number>(groups.length).fill(0);
  let o = 0;
  const len = inner.size;
  for (let block = 0, src = 0; block < outer; block++, src += len) {
    if (inner.reduced) {
      let v = out[o]!;
      if (kind === 'sum') for (let j = 0; j < len; j++) v += data[src + j]!;
      else
        for (let j = 0; j < len; j++) {
          const d = data[src + j]!;
          if (d > v || d !== d) v = d;
        }
      out[o] = v;
    } else if (kind === 'sum') {
      for (let j = 0; j < len; j++) out[o + j]! += data[src + j]!;
    } else {
      for (let j = 0; j < len; j++) {
        const d = data[src + j]!;
        const cur = out[o + j]!;
        if (d > cur || d !== d) out[o + j] = d;
      }
    }
    o += advance(idx, sizes, outStride);
  }
  return tensor(outShape, Float32Array.from(out));
}

/**
 * Copies between a contiguous array and a strided view of another, over `shape`: `'gather'`
 * reads contiguous[i] = strided[offset + Σ i_d·strides_d] (transpose, broadcast, slice),
 * `'scatter'` writes strided[offset + Σ i_d·strides_d] = contiguous[i] (pad). The last axis is
 * a tight loop; `advance` carries the others.
 */
function stridedCopy(
  contiguous: Float32Array,
  strided: Float32Array,
  view: Readonly<{ shape: readonly number[]; strides: readonly number[]; offset: number }>,
  direction: 'gather' | 'scatter',
): void {
  const { shape, strides } = view;
  const n = sizeOf(shape);
  if (n === 0) return;
  const rank = shape.length;
  const inner = rank === 0 ? 1 : shape[rank - 1]!;
  const step = rank === 0 ? 0 : strides[rank - 1]!;
  const outerShape = shape.slice(0, -1);
  const outerStrides = strides.slice(0, -1);
  const idx = new Array<number>(outerShape.length).fill(0);
  const gather = direction === 'gather';
  for (let lin = 0, off = view.offset; lin < n; lin += inner) {
    if (gather) for (let j = 0, k = off; j < inner; j++, k += step) contiguous[lin + j] = strided[k]!;
    else for (let j = 0, k = off; j < inner; j++, k += step) strided[k] = contiguous[lin + j]!;
    off += advance(idx, outerShape, outerStrides);
  }
}

/** out[i] = x[offset + Σ i_d · strides_d] over an output shape (transpose, broadcast, slice). */
function gather(x: Tensor, outShape: readonly number[], strides: readonly number[], offset: number): Tensor {
  const out = new Float32Array(sizeOf(outShape));
  stridedCopy(out, x.data, { shape: outShape, strides, offset }, 'gather');
  return tensor(outShape, out);
}

/**
 * y[n, c, :] += bias[c] on a kernel result `y` `[N, C, HW]` that nothing else references yet
 * (backends return fresh arrays): the conv bias as an epilogue, without another tensor.
 */
function addChannelBiasInPlace(y: Float32Array, bias: Tensor | undefined, n: number, c: number, hw: number): Float32Array {
  if (bias === undefined) return y;
  const b = bias.data;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const v = b[ch]!;
      const base = (i * c + ch) * hw;
      for (let j = base; j < base + hw; j++) y[j] = y[j]! + v;
    }
  }
  return y;
}

/**
 * adamUpdate on the current backend's kernel, or the reference loop where it has none (a
 * graph traced on one backend and replayed on another): the same float32 rule either way.
 */
function adamUpdateRule(inputs: readonly Tensor[], params: Params<'adamUpdate'>): Tensor {
  const [c1, c2, lr] = inputs as [Tensor, Tensor, Tensor];
  const k = (inputs.length - 3) / 4;
  if (!Number.isInteger(k)) throw new ShapeError(`adamUpdate needs c1, c2, lr and four tensors per leaf, got ${inputs.length} inputs`);
  for (const [name, t] of [['c1', c1], ['c2', c2], ['lr', lr]] as const) {
    if (sizeOf(t.shape) !== 1) throw new ShapeError(`adamUpdate: ${name} must be a 0-d tensor`, { [name]: t.shape });
  }
  const leaves: AdamLeaf[] = [];
  for (let i = 0; i < k; i++) {
    const [p, g, m, v] = [0, 1, 2, 3].map((j) => inputs[3 + j * k + i]!);
    if (!shapesEqual(p!.shape, g!.shape) || !shapesEqual(p!.shape, m!.shape) || !shapesEqual(p!.shape, v!.shape)) {
      throw new ShapeError(`adamUpdate: leaf ${i} has params, grad and moments of different shapes`, { param: p!.shape, grad: g!.shape, m: m!.shape, v: v!.shape });
    }
    leaves.push({ param: p!.data, grad: g!.data, m: m!.data, v: v!.data });
  }
  const spec = { ...params, c1: c1.data[0]!, c2: c2.data[0]!, lr: lr.data[0]! };
  const out = (currentBackend().adamUpdate ?? adamUpdateReference)(leaves, spec);
  return tensor([out.length], out);
}

export const evalRules: { readonly [P in Primitive]: EvalRule<P> } = {
  neg: unary(unaryKernels.neg),
  exp: unary(unaryKernels.exp),
  log: unary(unaryKernels.log),
  log1p: unary(unaryKernels.log1p),
  sqrt: unary(unaryKernels.sqrt),
  abs: unary(unaryKernels.abs),
  sign: unary(unaryKernels.sign),
  tanh: unary(unaryKernels.tanh),
  sigmoid: unary(unaryKernels.sigmoid),
  softplus: unary(unaryKernels.softplus),
  leakyRelu: ([x], { slope }) => tensor(x.shape, leakyMask(x.data, x.data, slope)),
  leakyReluGrad: ([x, g], { slope }) => {
    if (g.data.length !== x.data.length) throw new ShapeError('leakyReluGrad: x and g must have the same shape', { x: x.shape, g: g.shape });
    return tensor(x.shape, leakyMask(x.data, g.data, slope));
  },
  // Tensors are immutable, so the identity returns its input.
  stopGradient: ([x]) => x,
  add: binary(binaryKernels.add),
  sub: binary(binaryKernels.sub),
  mul: binary(binaryKernels.mul),
  div: binary(binaryKernels.div),
  pow: binary(binaryKernels.pow),
  maximum: binary(binaryKernels.maximum),
  minimum: binary(binaryKernels.minimum),
  compare: ([x, y], { op }) => {
    const shape = broadcastShapes(x.shape, y.shape);
    const a = materialise(x, shape);
    const b = materialise(y, shape);
    const f = compareFns[op];
    const out = new Float32Array(a.length);
    for (let i = 0; i < out.length; i++) out[i] = f(a[i]!, b[i]!);
    return tensor(shape, out);
  },
  where: ([c, a, b]) => {
    const shape = broadcastShapes(broadcastShapes(c.shape, a.shape), b.shape);
    const cd = materialise(c, shape);
    const ad = materialise(a, shape);
    const bd = materialise(b, shape);
    const out = new Float32Array(ad.length);
    for (let i = 0; i < out.length; i++) out[i] = cd[i] !== 0 ? ad[i]! : bd[i]!;
    return tensor(shape, out);
  },
  sum: ([x], { axes }) => reduce(x, axes, 'sum'),
  max: ([x], { axes }) => reduce(x, axes, 'max'),
  reshape: ([x], { shape }) => tensor(shape, x.data),
  transpose: ([x], { perm }) => {
    const s = stridesOf(x.shape);
    return gather(x, perm.map((p) => x.shape[p]!), perm.map((p) => s[p]!), 0);
  },
  broadcastTo: ([x], { shape }) => {
    const xs = x.shape;
    const s = stridesOf(xs);
    const lead = shape.length - xs.length;
    const strides = shape.map((_, i) => (i < lead || xs[i - lead] === 1 ? 0 : s[i - lead]!));
    return gather(x, shape, strides, 0);
  },
  slice: ([x], { starts, sizes, steps }) => {
    const s = stridesOf(x.shape);
    const offset = starts.reduce((acc, st, i) => acc + st * s[i]!, 0);
    return gather(x, sizes, s.map((v, i) => v * steps[i]!), offset);
  },
  // A scatter: x is written at the shifted, interior-spaced positions of a zero output.
  pad: ([x], { lo, hi, interior }) => {
    const outShape = x.shape.map((d, i) => (d === 0 ? 0 : d + (d - 1) * interior[i]!) + lo[i]! + hi[i]!);
    const out = new Float32Array(sizeOf(outShape));
    const os = stridesOf(outShape);
    const offset = lo.reduce((acc, l, i) => acc + l * os[i]!, 0);
    stridedCopy(x.data, out, { shape: x.shape, strides: os.map((s, i) => s * (interior[i]! + 1)), offset }, 'scatter');
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
    const [ar, ac] = a.shape as [number, number];
    const [br, bc] = b.shape as [number, number];
    const m = transA ? ac : ar;
    const k = transA ? ar : ac;
    const n = transB ? br : bc;
    return tensor([m, n], currentBackend().gemm(a.data, b.data, { m, n, k, transA, transB }));
  },
  conv2d: ([x, w, bias], { geometry: g }) =>
    tensor(convOutputShape(g), addChannelBiasInPlace(currentBackend().conv2d(x.data, w.data, g), bias, g.n, g.o, g.oh * g.ow)),
  conv2dGradInput: ([dy, w, bias], { geometry: g }) =>
    tensor([g.n, g.c, g.h, g.w], addChannelBiasInPlace(currentBackend().conv2dGradInput(dy.data, w.data, g), bias, g.n, g.c, g.h * g.w)),
  conv2dGradWeight: ([x, dy], { geometry: g }) => tensor([g.o, g.c, g.kh, g.kw], currentBackend().conv2dGradWeight(x.data, dy.data, g)),
  powerIteration: ([w, u], { eps }) => {
    const [rows, cols] = w.shape as [number, number];
    const r = currentBackend().powerIteration(w.data, rows, cols, u.data, eps);
    const packed = new Float32Array(rows + cols + 1);
    packed.set(r.u, 0);
    packed.set(r.v, rows);
    packed[rows + cols] = r.sigma;
    return tensor([rows + cols + 1], packed);
  },
  adamUpdate: adamUpdateRule,
  // A view: packed results are fresh arrays that nothing writes, and tensors are immutable.
  packedPart: ([x], { offset, shape }) => {
    const n = sizeOf(shape);
    if (x.shape.length !== 1) throw new ShapeError('packedPart reads a packed (1-D) result', { packed: x.shape });
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + n > x.data.length) {
      throw new ShapeError(`packedPart: ${n} elements at offset ${offset} do not fit a packed result of ${x.data.length}`, { packed: x.shape, part: shape });
    }
    return tensor(shape, x.data.subarray(offset, offset + n));
  },
};
