import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { grad, valueAndGrad, vjp, stopGradient } from '../../src/autodiff/index.js';
import * as ops from '../../src/ops/index.js';
import { tensor, scalar, type Tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { assertGradients, arbTensorOfShape } from '../../src/testing/index.js';
import { forEachBackend } from '../helpers/backends.js';

type Unary = [string, (x: Tensor, y: Tensor) => Tensor];

/**
 * Smooth building blocks for random programs: each maps x (and a fixed operand y of the same
 * shape as the original input, broadcast where needed) to a new tensor of any shape.
 */
const steps: Unary[] = [
  ['tanh', (x) => ops.tanh(x)],
  ['sigmoid', (x) => ops.sigmoid(x)],
  ['softplus', (x) => ops.softplus(x)],
  ['exp(x/4)', (x) => ops.exp(ops.div(x, 4))],
  ['log(1+x²)', (x) => ops.log(ops.add(1, ops.square(x)))],
  ['log1p(x²)', (x) => ops.log1p(ops.square(x))],
  ['sqrt(1+x²)', (x) => ops.sqrt(ops.add(1, ops.square(x)))],
  ['x·y', (x, y) => (x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]) ? ops.mul(x, y) : ops.mul(x, 1.5))],
  ['x/(1+y²)', (x, y) => (x.data.length === y.data.length ? ops.div(x, ops.add(1, ops.square(ops.reshape(y, x.shape)))) : x)],
  ['(1+x²)^0.75', (x) => ops.pow(ops.add(1, ops.square(x)), 0.75)],
  ['transpose', (x) => ops.transpose(x)],
  ['reshape flat', (x) => ops.reshape(x, [-1])],
  ['sum rows + broadcast', (x) => (x.shape.length >= 1 ? ops.add(x, ops.sum(x, { axis: 0, keepDims: true })) : x)],
  ['mean', (x) => (x.shape.length >= 1 ? ops.mul(ops.mean(x, { axis: 0 }), 2) : x)],
  ['variance', (x) => (x.shape.length >= 1 && x.shape[0]! > 1 ? ops.variance(x, { axis: 0, keepDims: true }) : x)],
  ['slice step 2', (x) => (x.shape.length >= 1 ? ops.slice(x, [0], undefined, [2]) : x)],
  ['pad', (x) => (x.shape.length >= 1 ? ops.pad(x, [[1, 2]]) : x)],
  ['concat', (x) => (x.shape.length >= 1 ? ops.concat([x, ops.mul(x, -0.5)], 0) : x)],
  ['logSoftmax', (x) => (x.shape.length >= 1 ? ops.logSoftmax(x, -1) : x)],
  ['logSumExp', (x) => ops.logSumExp(x)],
  ['matmul xᵀx', (x) => (x.shape.length === 2 ? ops.matmul(x, x, { transA: true }) : x)],
  // elu on −√(1 + x²) ≤ −1: its exponential branch, smooth everywhere (the kink at 0 would make
  // finite differences fail whenever a random input lands within a step of it).
  ['elu (negative branch)', (x) => ops.elu(ops.neg(ops.sqrt(ops.add(1, ops.square(x)))))],
];

const arbProgram = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  cols: fc.integer({ min: 1, max: 4 }),
  program: fc.array(fc.integer({ min: 0, max: steps.length - 1 }), { minLength: 1, maxLength: 5 }),
}).chain((p) =>
  fc.record({
    p: fc.constant(p),
    x: arbTensorOfShape([p.rows, p.cols], { min: -1.5, max: 1.5 }),
    y: arbTensorOfShape([p.rows, p.cols], { min: -1.5, max: 1.5 }),
  }),
);

function runProgram(program: readonly number[], x: Tensor, y: Tensor): Tensor {
  let h = x;
  for (const s of program) h = steps[s]![1](h, y);
  // A fixed non-uniform weighting makes the scalar depend on every output element differently.
  const w = tensor(h.shape, Array.from({ length: h.data.length }, (_, i) => Math.cos(i + 1)));
  return ops.sum(ops.mul(h, w));
}

/**
 * Random programs can overflow float32 (e.g. xᵀx twice, then exp(x/4) three times): there is
 * nothing to check against then, so such inputs are discarded (fc.pre), not failed.
 */
const representable = (v: Tensor): boolean => Number.isFinite(v.data[0]) && Math.abs(v.data[0]!) < 1e20;

forEachBackend(() => {
  describe('reverse-mode gradients', () => {
    it('match central finite differences on random compositions of ops and shapes', () => {
      fc.assert(
        fc.property(arbProgram, ({ p, x, y }) => {
          fc.pre(representable(runProgram(p.program, x, y)));
          assertGradients((inp: { x: Tensor; y: Tensor }) => runProgram(p.program, inp.x, inp.y), { x, y }, { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
        }),
        { numRuns: 120 },
      );
    });

    it('second-order gradients match finite differences of first-order gradients', () => {
      fc.assert(
        fc.property(arbProgram, ({ p, x, y }) => {
          const first = (xi: Tensor): Tensor => grad((z: Tensor) => runProgram(p.program, z, y))(xi);
          const w = tensor(x.shape, Array.from({ length: x.data.length }, (_, i) => Math.sin(i + 2)));
          fc.pre(representable(runProgram(p.program, x, y)) && representable(ops.sum(ops.mul(first(x), w))));
          assertGradients((xi: Tensor) => ops.sum(ops.mul(first(xi), w)), x, { eps: 1e-2, rtol: 4e-2, atol: 4e-3 });
        }),
        { numRuns: 60 },
      );
    });

    it('gives the exact derivatives of simple polynomials, including third order', () => {
      const x = tensor([3], [1, 2, 3]);
      const cube = (t: Tensor): Tensor => ops.sum(ops.mul(t, ops.mul(t, t)));
      assert.deepEqual([...(grad(cube)(x)).data], [3, 12, 27]);
      const second = (t: Tensor): Tensor => ops.sum(grad(cube)(t));
      assert.deepEqual([...(grad(second)(x)).data], [6, 12, 18]);
      const third = (t: Tensor): Tensor => ops.sum(grad(second)(t));
      assert.deepEqual([...(grad(third)(x)).data], [6, 6, 6]);
    });

    it('does not confuse perturbations of nested transforms (d/dx [x · d/dy (x·y)] = 2x)', () => {
      const inner = (x: Tensor): Tensor => grad((y: Tensor) => ops.mul(x, y))(scalar(5));
      const g = grad((x: Tensor) => ops.mul(x, inner(x)))(scalar(3));
      assert.equal(g.data[0], 6);
    });

    it('differentiates w.r.t. pytrees and the chosen argnums, keeping number leaves constant', () => {
      const f = (p: { w: Tensor; b: Tensor; scale: number }, x: Tensor): Tensor =>
        ops.sum(ops.mul(ops.add(ops.mul(p.w, x), p.b), p.scale));
      const p = { w: tensor([2], [1, 2]), b: tensor([2], [0.5, 0.5]), scale: 3 };
      const x = tensor([2], [4, 5]);
      const gp = grad(f)(p, x);
      assert.deepEqual([...gp.w.data], [12, 15]);
      assert.deepEqual([...gp.b.data], [3, 3]);
      assert.equal(gp.scale, 0);
      const gx = grad(f, { argnums: 1 })(p, x);
      assert.deepEqual([...gx.data], [3, 6]);
    });

    it('returns value and aux with hasAux, without tracers escaping', () => {
      const [[value, aux], g] = valueAndGrad((x: Tensor) => [ops.sum(ops.square(x)), { doubled: ops.mul(x, 2) }] as const, { hasAux: true })(tensor([2], [1, 2]));
      assert.equal(value.data[0], 5);
      assert.deepEqual([...g.data], [2, 4]);
      assert.deepEqual([...ops.add(aux.doubled, 1).data], [3, 5]);
    });

    it('stopGradient blocks the gradient', () => {
      const g = grad((x: Tensor) => ops.sum(ops.mul(x, stopGradient(x))))(tensor([2], [3, 4]));
      assert.deepEqual([...g.data], [3, 4]);
    });

    it('vjp pulls back an arbitrary cotangent', () => {
      const [y, pb] = vjp((x: Tensor) => ops.mul(x, x), tensor([2], [1, -2]));
      assert.deepEqual([...y.data], [1, 4]);
      assert.deepEqual([...pb(tensor([2], [1, 10])).data], [2, -40]);
    });

    it('gives a zero gradient for inputs the output does not depend on', () => {
      const g = grad((p: { a: Tensor; b: Tensor }) => ops.sum(p.a))({ a: tensor([2], [1, 1]), b: tensor([3], [1, 2, 3]) });
      assert.deepEqual([...g.b.data], [0, 0, 0]);
    });

    it('refuses a non-scalar output with a message saying what to do', () => {
      assert.throws(
        () => grad((x: Tensor) => ops.mul(x, 2))(tensor([3], [1, 2, 3])),
        (e: unknown) => e instanceof ShapeError && /scalar output/.test(e.message) && /\[3\]/.test(e.message),
      );
    });

    it('reports a tracer that escaped its transform', () => {
      let leaked: Tensor | undefined;
      grad((x: Tensor) => {
        leaked = ops.mul(x, 2);
        return ops.sum(x);
      })(tensor([1], [1]));
      assert.throws(() => ops.add(leaked!, 1), (e: unknown) => e instanceof ValueError && /escape/.test(e.message));
    });

    it('follows PyTorch at kinks: relu′(0) = 0, leaky_relu′(0) = slope, clamp′ = 1 on the boundary', () => {
      const x = tensor([3], [-1, 0, 1]);
      assert.deepEqual([...grad((t: Tensor) => ops.sum(ops.relu(t)))(x).data], [0, 0, 1]);
      assert.deepEqual([...grad((t: Tensor) => ops.sum(ops.leakyRelu(t, 0.2)))(x).data].map((v) => Math.fround(v)), [0.2, 0.2, 1].map(Math.fround));
      assert.deepEqual([...grad((t: Tensor) => ops.sum(ops.clamp(t, -1, 0)))(x).data], [1, 1, 0]);
    });

    it('keeps gradients finite where a where() branch overflows (elu of a large input)', () => {
      const g = grad((t: Tensor) => ops.sum(ops.elu(t)))(tensor([2], [200, -200]));
      assert.ok([...g.data].every(Number.isFinite), `got ${[...g.data]}`);
    });
  });
});
