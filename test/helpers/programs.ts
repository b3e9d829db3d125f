/**
 * Test support (no tests of its own): random programs of elementwise, reduction, structural and
 * matmul ops for the jit tests. A program maps x `[rows, cols]` and parameters p = { w
 * `[cols, cols]`, b `[cols]` } to a scalar; it never reads `.data`, so it is traceable.
 */
import fc from 'fast-check';
import * as ops from '../../src/ops/index.js';
import { shapesEqual, sizeOf, tensor, type Tensor } from '../../src/core/tensor.js';
import { arbTensorOfShape } from '../../src/testing/index.js';

export type Params = { w: Tensor; b: Tensor };
type Step = readonly [string, (h: Tensor, p: Params) => Tensor];

const is2d = (h: Tensor, cols: number): boolean => h.shape.length === 2 && h.shape[1] === cols;

/** Building blocks; each keeps values moderate so float32 does not overflow on short programs. */
export const STEPS: readonly Step[] = [
  ['tanh', (h) => ops.tanh(h)],
  ['sigmoid', (h) => ops.sigmoid(h)],
  ['softplus', (h) => ops.softplus(h)],
  ['exp(h/4)', (h) => ops.exp(ops.div(h, 4))],
  ['log(1+h²)', (h) => ops.log(ops.add(1, ops.square(h)))],
  ['sqrt(1+h²)', (h) => ops.sqrt(ops.add(1, ops.square(h)))],
  ['leakyRelu(0.2)', (h) => ops.leakyRelu(h, 0.2)],
  ['relu − 0.5', (h) => ops.sub(ops.relu(h), 0.5)],
  ['h·1.5 − 0.25', (h) => ops.sub(ops.mul(h, 1.5), 0.25)],
  ['max(h, −h/2)', (h) => ops.maximum(h, ops.div(ops.neg(h), 2))],
  ['where(h > 0, h, h²)', (h) => ops.where(ops.greater(h, 0), h, ops.square(h))],
  ['h + b (bias row)', (h, p) => (is2d(h, p.b.shape[0]!) ? ops.add(h, p.b) : h)],
  ['h · b (scale row)', (h, p) => (is2d(h, p.b.shape[0]!) ? ops.mul(h, p.b) : h)],
  ['linear(h, w, b)', (h, p) => (is2d(h, p.b.shape[0]!) ? ops.linear(h, p.w, p.b) : h)],
  ['h·w', (h, p) => (is2d(h, p.w.shape[0]!) ? ops.matmul(h, p.w) : h)],
  ['transpose', (h) => ops.transpose(h)],
  ['sum rows + broadcast', (h) => (h.shape.length >= 1 ? ops.add(h, ops.sum(h, { axis: 0, keepDims: true })) : h)],
  ['mean cols', (h) => (h.shape.length >= 2 ? ops.mean(h, { axis: 1 }) : h)],
  ['logSoftmax', (h) => (h.shape.length >= 1 ? ops.logSoftmax(h, -1) : h)],
  ['reshape flat', (h) => ops.reshape(h, [-1])],
  ['(1+h²)^0.75', (h) => ops.pow(ops.add(1, ops.square(h)), 0.75)],
  ['h − stopGradient(h)/2', (h) => ops.sub(h, ops.div(ops.bind('stopGradient', [h], null), 2))],
];

/**
 * Steps whose primitives the wasm backend's compiled graphs approximate (exp, log, tanh,
 * sigmoid, softplus run as f32 polynomials in its fused-group interpreter, a few ulp from the
 * evaluation rules); a compiled graph of the others has the eager bits.
 */
export const APPROXIMATE_STEPS: ReadonlySet<string> = new Set(['tanh', 'sigmoid', 'softplus', 'exp(h/4)', 'log(1+h²)', 'logSoftmax']);

export type Program = Readonly<{ rows: number; cols: number; steps: readonly number[] }>;

/** Whether some step of p is in APPROXIMATE_STEPS. */
export const usesApproximateMath = (p: Program): boolean => p.steps.some((s) => APPROXIMATE_STEPS.has(STEPS[s]![0]));

export const arbProgram: fc.Arbitrary<Program> = fc.record({
  rows: fc.integer({ min: 1, max: 4 }),
  cols: fc.integer({ min: 1, max: 4 }),
  steps: fc.array(fc.integer({ min: 0, max: STEPS.length - 1 }), { minLength: 1, maxLength: 6 }),
});

export const describeProgram = (p: Program): string => p.steps.map((s) => STEPS[s]![0]).join(' → ');

/** Runs the program's steps on x, then weights the result non-uniformly and sums it to a scalar. */
export function runProgram(p: Program, x: Tensor, params: Params): Tensor {
  let h = x;
  for (const s of p.steps) h = STEPS[s]![1](h, params);
  const n = sizeOf(h.shape);
  const weights = tensor(h.shape, Array.from({ length: n }, (_, i) => programWeight(i)));
  return ops.sum(ops.mul(h, weights));
}

const programWeight = (i: number): number => Math.cos(i + 1);

/**
 * Σᵢ |wᵢ·hᵢ| of `runProgram`'s final weighted sum, computed eagerly: the scale its rounding error
 * is relative to. The sum can cancel far below its terms (terms near 5 summing to 0.08), so an
 * error of a few ulp in each term is large relative to the sum itself but not to this.
 */
export function programSumScale(p: Program, x: Tensor, params: Params): number {
  return runProgramTensor(p, x, params).data.reduce((s, v, i) => s + Math.abs(v * programWeight(i)), 0);
}

/** The program's last tensor before the weighted sum (for comparing whole arrays). */
export function runProgramTensor(p: Program, x: Tensor, params: Params): Tensor {
  let h = x;
  for (const s of p.steps) h = STEPS[s]![1](h, params);
  return h;
}

/**
 * A program with two independent draws of its inputs (the second call must not reuse the first's
 * values). `minMagnitude` (see `ValueConstraints`) keeps values away from subnormals for
 * backends that flush them.
 */
export const arbProgramCaseWith = (v: { minMagnitude?: number } = {}) =>
  arbProgram.chain((p) =>
    fc.record({
      p: fc.constant(p),
      inputs: fc.array(
        fc.record({
          x: arbTensorOfShape([p.rows, p.cols], { min: -1.5, max: 1.5, ...v }),
          params: fc.record({ w: arbTensorOfShape([p.cols, p.cols], { min: -1, max: 1, ...v }), b: arbTensorOfShape([p.cols], { min: -1, max: 1, ...v }) }),
        }),
        { minLength: 2, maxLength: 2 },
      ),
    }),
  );

export const arbProgramCase = arbProgramCaseWith();

export type CloseToScaleOptions = Readonly<{
  /** Relative tolerance, of the scale (default 2e-5). */
  rel?: number;
  /** Absolute tolerance (default 1e-6). */
  abs?: number;
  /** The scale the relative tolerance is of (default max|b| over b's finite elements). */
  scale?: number;
}>;

/**
 * True when both tensors have the same shape and every element of `a` is within
 * `rel`·scale + `abs` of `b`'s; non-finite elements equal. The default scale is that of the
 * whole tensor, max|b|: a few-ulp difference in an activation moves every gradient element by
 * about the same absolute amount. `abs` is for tensors that are zero in exact arithmetic, such
 * as a bias gradient before batch norm, whose values are rounding noise.
 */
export function closeToScale(a: Tensor, b: Tensor, opts: CloseToScaleOptions = {}): boolean {
  if (!shapesEqual(a.shape, b.shape)) return false;
  const rel = opts.rel ?? 2e-5;
  const abs = opts.abs ?? 1e-6;
  const scale = opts.scale ?? b.data.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  return a.data.every((v, i) => {
    const e = b.data[i]!;
    return Number.isFinite(e) ? Math.abs(v - e) <= rel * scale + abs : Object.is(v, e) || (Number.isNaN(v) && Number.isNaN(e));
  });
}

/** True when both tensors have the same shape and the same float32 bits everywhere. */
export function bitsEqual(a: Tensor, b: Tensor): boolean {
  if (!shapesEqual(a.shape, b.shape)) return false;
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  return x.every((v, i) => v === y[i]);
}
