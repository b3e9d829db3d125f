import { UnsupportedError } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import { bind } from '../ops/dispatch.js';
import { add, compare, div, log, mul, neg, sigmoid, sub, where } from '../ops/elementwise.js';
import type { Inputs, Params, PerInput, Primitive } from '../ops/primitives.js';
import { broadcastTo, reshape, slice, sumTo } from '../ops/shape.js';

/**
 * The VJP rule of every primitive, in one exhaustive table (a primitive without a rule is a
 * compile error). A rule maps the output cotangent ȳ to one cotangent per input (null: zero,
 * or not needed). Rules are written with ops, so they are themselves differentiable: running
 * a backward pass under an outer transform records it, which gives gradients of gradients.
 *
 * `needs[i]` tells whether input i needs a cotangent, so rules can skip work.
 */
export type VjpRule<P extends Primitive> = (
  ct: Tensor,
  inputs: Inputs<P>,
  output: Tensor,
  params: Params<P>,
  needs: PerInput<P, boolean>,
) => PerInput<P, Tensor | null>;

/**
 * The rule of a primitive whose output is piecewise constant in its inputs (compare, sign) or
 * deliberately constant (stopGradient, powerIteration): every cotangent is zero. The reverse
 * interpreter recognises this rule and does not record such primitives at all, so their
 * outputs are constants to it. The table instantiates it per primitive (`zeroCotangents<'sign'>`),
 * which is the same function at run time.
 */
export const zeroCotangents = <P extends Primitive>(_ct: Tensor, inputs: Inputs<P>): PerInput<P, null> =>
  (inputs as readonly Tensor[]).map(() => null) as readonly null[] as PerInput<P, null>;

const keptShape = (shape: readonly number[], axes: readonly number[]): number[] =>
  shape.map((d, i) => (axes.includes(i) ? 1 : d));

/** Broadcasts a reduced cotangent back over the reduced axes. */
const unreduce = (ct: Tensor, x: Tensor, axes: readonly number[]): Tensor =>
  broadcastTo(reshape(ct, keptShape(x.shape, axes)), x.shape);

const inversePerm = (perm: readonly number[]): number[] => {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
};

export const vjpRules: { readonly [P in Primitive]: VjpRule<P> } = {
  neg: (ct) => [neg(ct)],
  exp: (ct, _x, y) => [mul(ct, y)],
  log: (ct, [x]) => [div(ct, x)],
  log1p: (ct, [x]) => [div(ct, add(x, 1))],
  sqrt: (ct, _x, y) => [div(ct, mul(y, 2))],
  abs: (ct, [x]) => [mul(ct, bind('sign', [x], null))],
  sign: zeroCotangents<'sign'>,
  tanh: (ct, _x, y) => [mul(ct, sub(1, mul(y, y)))],
  sigmoid: (ct, _x, y) => [mul(ct, mul(y, sub(1, y)))],
  softplus: (ct, [x]) => [mul(ct, sigmoid(x))],
  leakyRelu: (ct, [x], _y, { slope }) => [bind('leakyReluGrad', [x, ct], { slope })],
  // Linear in g (the same mask applied to the cotangent); piecewise constant in x.
  leakyReluGrad: (ct, [x], _y, { slope }) => [null, bind('leakyReluGrad', [x, ct], { slope })],
  stopGradient: zeroCotangents<'stopGradient'>,
  // Binary primitives broadcast, so each cotangent is summed back to its operand's shape.
  add: (ct, [a, b], _y, _p, needs) => [needs[0] ? sumTo(ct, a.shape) : null, needs[1] ? sumTo(ct, b.shape) : null],
  sub: (ct, [a, b], _y, _p, needs) => [needs[0] ? sumTo(ct, a.shape) : null, needs[1] ? sumTo(neg(ct), b.shape) : null],
  mul: (ct, [a, b], _y, _p, needs) => [needs[0] ? sumTo(mul(ct, b), a.shape) : null, needs[1] ? sumTo(mul(ct, a), b.shape) : null],
  div: (ct, [a, b], y, _p, needs) => [
    needs[0] ? sumTo(div(ct, b), a.shape) : null,
    needs[1] ? sumTo(neg(div(mul(ct, y), b)), b.shape) : null,
  ],
  // d/da aᵇ = b·aᵇ⁻¹; d/db aᵇ = aᵇ·log a, taken as 0 where a <= 0 (log undefined there).
  pow: (ct, [a, b], y, _p, needs) => [
    needs[0] ? sumTo(mul(ct, mul(b, bind('pow', [a, sub(b, 1)], null))), a.shape) : null,
    needs[1] ? sumTo(mul(ct, mul(y, log(where(compare(a, 0, 'gt'), a, 1)))), b.shape) : null,
  ],
  maximum: (ct, [a, b], _y, _p, needs) => {
    const m = compare(a, b, 'ge');
    return [needs[0] ? sumTo(mul(ct, m), a.shape) : null, needs[1] ? sumTo(mul(ct, sub(1, m)), b.shape) : null];
  },
  minimum: (ct, [a, b], _y, _p, needs) => {
    const m = compare(a, b, 'le');
    return [needs[0] ? sumTo(mul(ct, m), a.shape) : null, needs[1] ? sumTo(mul(ct, sub(1, m)), b.shape) : null];
  },
  compare: zeroCotangents<'compare'>,
  where: (ct, [c, a, b], _y, _p, needs) => [
    null,
    needs[1] ? sumTo(where(c, ct, 0), a.shape) : null,
    needs[2] ? sumTo(where(c, 0, ct), b.shape) : null,
  ],
  sum: (ct, [x], _y, { axes }) => [unreduce(ct, x, axes)],
  // Tied maxima share the cotangent equally (PyTorch's amax): mask / count.
  max: (ct, [x], y, { axes }) => {
    const mask = compare(x, unreduce(y, x, axes), 'eq');
    const count = bind('sum', [mask], { axes });
    return [mul(mask, unreduce(div(ct, count), x, axes))];
  },
  reshape: (ct, [x]) => [reshape(ct, x.shape)],
  transpose: (ct, _x, _y, { perm }) => [bind('transpose', [ct], { perm: inversePerm(perm) })],
  broadcastTo: (ct, [x]) => [sumTo(ct, x.shape)],
  slice: (ct, [x], _y, { starts, sizes, steps }) => [
    bind('pad', [ct], {
      lo: starts,
      interior: steps.map((s) => s - 1),
      hi: x.shape.map((n, d) => {
        const [start, size, step] = [starts[d]!, sizes[d]!, steps[d]!];
        return size === 0 ? n - start : n - (start + (size - 1) * step + 1);
      }),
    }),
  ],
  pad: (ct, [x], _y, { lo, interior }) => [bind('slice', [ct], { starts: lo, sizes: x.shape, steps: interior.map((i) => i + 1) })],
  concat: (ct, inputs, _y, { axis }, needs) => {
    let start = 0;
    return inputs.map((t, i) => {
      const n = t.shape[axis]!;
      const s = start;
      start += n;
      if (!needs[i]) return null;
      const starts = t.shape.map((_, d) => (d === axis ? s : 0));
      const ends = t.shape.map((d, j) => (j === axis ? s + n : d));
      return slice(ct, starts, ends);
    });
  },
  // C = op(A)·op(B): Ā = ȳ·op(B)ᵀ (transposed back when A is stored transposed), B̄ = op(A)ᵀ·ȳ.
  matmul: (ct, [a, b], _y, { transA, transB }, needs) => [
    needs[0]
      ? transA
        ? bind('matmul', [b, ct], { transA: transB, transB: true })
        : bind('matmul', [ct, b], { transA: false, transB: !transB })
      : null,
    needs[1]
      ? transB
        ? bind('matmul', [ct, a], { transA: true, transB: transA })
        : bind('matmul', [a, ct], { transA: !transA, transB: false })
      : null,
  ],
  // The three convolution primitives are bilinear and closed under taking adjoints.
  conv2d: (ct, [x, w, bias], _y, { geometry }, needs) => {
    const dx = needs[0] ? bind('conv2dGradInput', [ct, w], { geometry }) : null;
    const dw = needs[1] ? bind('conv2dGradWeight', [x, ct], { geometry }) : null;
    return bias === undefined ? [dx, dw] : [dx, dw, needs[2] ? bind('sum', [ct], { axes: [0, 2, 3] }) : null];
  },
  conv2dGradInput: (ct, [dy, w, bias], _y, { geometry }, needs) => {
    const ddy = needs[0] ? bind('conv2d', [ct, w], { geometry }) : null;
    const dw = needs[1] ? bind('conv2dGradWeight', [ct, dy], { geometry }) : null;
    return bias === undefined ? [ddy, dw] : [ddy, dw, needs[2] ? bind('sum', [ct], { axes: [0, 2, 3] }) : null];
  },
  conv2dGradWeight: (ct, [x, dy], _y, { geometry }, needs) => [
    needs[0] ? bind('conv2dGradInput', [dy, ct], { geometry }) : null,
    needs[1] ? bind('conv2d', [x, ct], { geometry }) : null,
  ],
  powerIteration: zeroCotangents<'powerIteration'>,
  // Not the zero rule: an unrolled optimiser (e.g. an unrolled GAN's D steps) that
  // differentiated through the fused kernel would silently get zero gradients.
  adamUpdate: () => {
    throw new UnsupportedError(
      'adamUpdate (the fused Adam kernel) is not differentiable; to differentiate through an optimiser step (e.g. an unrolled GAN), use adam(lr, { fused: false })',
    );
  },
  packedPart: (ct, [x], _y, { offset }) => [
    bind('pad', [reshape(ct, [sizeOf(ct.shape)])], { lo: [offset], hi: [sizeOf(x.shape) - offset - sizeOf(ct.shape)], interior: [0] }),
  ],
};
