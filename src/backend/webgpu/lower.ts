import type { Eqn, VarId } from '../graph.js';
import type { Params, Primitive } from '../../ops/primitives.js';
import { WebGPUError } from './errors.js';
import {
  BINARY_EXPR,
  broadcastOperand,
  compareExpr,
  concatPartKernel,
  LEAKY_EXPR,
  LEAKY_GRAD_EXPR,
  mapKernel,
  padKernel,
  stridesOf,
  UNARY_EXPR,
  WHERE_EXPR,
} from './shaders/elementwise.js';
import { convForward, convGradInput, convGradWeight, denseGemm } from './shaders/gemm.js';
import { adamLeafKernel } from './shaders/adam.js';
import { powerIterationKernel } from './shaders/power_iteration.js';
import { reduceKernel } from './shaders/reduce.js';
import type { Kernel } from './shaders/wgsl.js';

/**
 * Lowering: what one equation of a graph becomes on the device. Pure (no device), so the
 * lowering of every primitive is tested without a GPU.
 */

/**
 * One compute dispatch: binds `inputs` (read), then `out` (read-write), then its params words
 * (read); its WGSL is shape-free (shaders/wgsl.ts), so equal kernels of any shape share a pipeline.
 */
export type Dispatch = Kernel &
  Readonly<{
    /** The kernel, for error messages: the primitive and its output shape. */
    name: string;
    inputs: readonly VarId[];
    out: VarId;
  }>;

/** An equation is either an alias of its input's buffer (no work) or a list of dispatches. */
export type Lowered = Readonly<{ kind: 'alias'; of: VarId }> | Readonly<{ kind: 'dispatches'; dispatches: readonly Dispatch[] }>;

type Shapes = readonly (readonly number[])[];
type Rule<P extends Primitive> = (eqn: Eqn<P>, shapes: Shapes, name: string) => Lowered;

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
const one = (d: Dispatch): Lowered => ({ kind: 'dispatches', dispatches: [d] });
/** The equation's one dispatch of `kernel`, over all its inputs. */
const dispatchOf = (eqn: Eqn, name: string, kernel: Kernel): Lowered => one({ ...kernel, name, inputs: eqn.inputs, out: eqn.out });

/** A map kernel over the equation's output, every input broadcast to it. */
function elementwise(eqn: Eqn, shapes: Shapes, name: string, expr: string, scalar = 0): Lowered {
  const outShape = shapes[eqn.out]!;
  return dispatchOf(eqn, name, mapKernel(outShape, eqn.inputs.map((v) => broadcastOperand(shapes[v]!, outShape)), expr, scalar));
}

const mapOf =
  (expr: string): Rule<Primitive> =>
  (eqn, shapes, name) =>
    elementwise(eqn, shapes, name, expr);

/** A strided gather of the single input (transpose, broadcastTo, slice). */
function gather(eqn: Eqn, shapes: Shapes, name: string, strides: readonly number[], offset: number): Lowered {
  return dispatchOf(eqn, name, mapKernel(shapes[eqn.out]!, [{ strides, offset }], 'a0'));
}

/** Primitives with no WGSL kernel yet: compiling a graph that uses one is an `unsupported` WebGPUError naming it. */
export const NOT_LOWERED: ReadonlySet<Primitive> = new Set<Primitive>([]);

/** The lowering of every primitive; the type makes a new primitive without one fail to compile. */
export const LOWERING: { readonly [P in Primitive]: Rule<P> } = {
  neg: mapOf(UNARY_EXPR.neg),
  exp: mapOf(UNARY_EXPR.exp),
  log: mapOf(UNARY_EXPR.log),
  log1p: mapOf(UNARY_EXPR.log1p),
  sqrt: mapOf(UNARY_EXPR.sqrt),
  abs: mapOf(UNARY_EXPR.abs),
  sign: mapOf(UNARY_EXPR.sign),
  tanh: mapOf(UNARY_EXPR.tanh),
  sigmoid: mapOf(UNARY_EXPR.sigmoid),
  softplus: mapOf(UNARY_EXPR.softplus),
  leakyRelu: (e, s, n) => elementwise(e, s, n, LEAKY_EXPR, e.params.slope),
  leakyReluGrad: (e, s, n) => elementwise(e, s, n, LEAKY_GRAD_EXPR, e.params.slope),
  stopGradient: (e) => ({ kind: 'alias', of: e.inputs[0]! }),
  add: mapOf(BINARY_EXPR.add),
  sub: mapOf(BINARY_EXPR.sub),
  mul: mapOf(BINARY_EXPR.mul),
  div: mapOf(BINARY_EXPR.div),
  pow: mapOf(BINARY_EXPR.pow),
  maximum: mapOf(BINARY_EXPR.maximum),
  minimum: mapOf(BINARY_EXPR.minimum),
  compare: (e, s, n) => elementwise(e, s, n, compareExpr(e.params.op)),
  where: (e, s, n) => elementwise(e, s, n, WHERE_EXPR),
  sum: (e, s, n) => dispatchOf(e, n, reduceKernel(s[e.inputs[0]!]!, e.params.axes, 'sum')),
  max: (e, s, n) => {
    const x = s[e.inputs[0]!]!;
    if (e.params.axes.some((a) => x[a] === 0)) throw new WebGPUError('unsupported', n, 'max over an empty axis');
    return dispatchOf(e, n, reduceKernel(x, e.params.axes, 'max'));
  },
  reshape: (e) => ({ kind: 'alias', of: e.inputs[0]! }),
  transpose: (e, s, n) => {
    const st = stridesOf(s[e.inputs[0]!]!);
    return gather(e, s, n, e.params.perm.map((p) => st[p]!), 0);
  },
  broadcastTo: (e, s, n) => gather(e, s, n, broadcastOperand(s[e.inputs[0]!]!, e.params.shape).strides, 0),
  slice: (e, s, n) => {
    const st = stridesOf(s[e.inputs[0]!]!);
    const offset = e.params.starts.reduce((acc, v, i) => acc + v * st[i]!, 0);
    return gather(e, s, n, st.map((v, i) => v * e.params.steps[i]!), offset);
  },
  pad: (e, s, n) => dispatchOf(e, n, padKernel(s[e.inputs[0]!]!, s[e.out]!, e.params.lo, e.params.interior)),
  concat: (e, s, n) => {
    const { axis } = e.params;
    const out = s[e.out]!;
    const inner = size(out.slice(axis + 1));
    const rowLength = out[axis]! * inner;
    let start = 0;
    const dispatches: Dispatch[] = [];
    for (const v of e.inputs) {
      const shape = s[v]!;
      const chunk = shape[axis]! * inner;
      if (size(shape) > 0) {
        dispatches.push({ ...concatPartKernel(size(shape), chunk, rowLength, start), name: n, inputs: [v], out: e.out });
      }
      start += chunk;
    }
    return { kind: 'dispatches', dispatches };
  },
  matmul: (e, s, n) => {
    const { transA, transB } = e.params;
    const [ar, ac] = s[e.inputs[0]!]! as [number, number];
    const [br, bc] = s[e.inputs[1]!]! as [number, number];
    const spec = { m: transA ? ac : ar, k: transA ? ar : ac, n: transB ? br : bc, transA, transB };
    return dispatchOf(e, n, denseGemm(spec));
  },
  conv2d: (e, _s, n) => dispatchOf(e, n, convForward(e.params.geometry, e.inputs.length === 3)),
  conv2dGradInput: (e, _s, n) => dispatchOf(e, n, convGradInput(e.params.geometry, e.inputs.length === 3)),
  conv2dGradWeight: (e, _s, n) => dispatchOf(e, n, convGradWeight(e.params.geometry)),
  adamUpdate: (e, s, n) => {
    const [c1, c2, lr, ...leaves] = e.inputs as [VarId, VarId, VarId, ...VarId[]];
    const k = leaves.length / 4;
    const sizes = leaves.slice(0, k).map((v) => size(s[v]!));
    const total = sizes.reduce((a, b) => a + b, 0);
    const dispatches: Dispatch[] = [];
    let offset = 0;
    sizes.forEach((len, i) => {
      if (len > 0) {
        const inputs = [c1, c2, lr, leaves[i]!, leaves[k + i]!, leaves[2 * k + i]!, leaves[3 * k + i]!];
        dispatches.push({ ...adamLeafKernel(e.params, len, offset, total), name: `${n} leaf ${i}`, inputs, out: e.out });
      }
      offset += len;
    });
    return { kind: 'dispatches', dispatches };
  },
  packedPart: (e, s, n) => gather(e, s, n, stridesOf(e.params.shape), e.params.offset),
  powerIteration: (e, s, n) => {
    const [rows, cols] = s[e.inputs[0]!]! as [number, number];
    return dispatchOf(e, n, powerIterationKernel(rows, cols, e.params.eps));
  },
};

/** The kernel name of an equation in messages: `conv2d → [8, 16, 14, 14]`. */
export const kernelName = (eqn: Eqn, shapes: Shapes): string => `${eqn.prim} → [${shapes[eqn.out]!.join(', ')}]`;

/** Lowers one equation; a shape no kernel can take is a WebGPUError naming it. */
export function lowerEqn(eqn: Eqn, shapes: Shapes): Lowered {
  const name = kernelName(eqn, shapes);
  const rule = LOWERING[eqn.prim] as Rule<Primitive> | undefined;
  if (rule === undefined) throw new WebGPUError('unsupported', name, `the webgpu backend has no kernel for the primitive "${eqn.prim}"`);
  try {
    return rule(eqn as Eqn<Primitive>, shapes, name);
  } catch (e) {
    if (e instanceof WebGPUError) throw e;
    throw new WebGPUError('unsupported', name, (e as Error).message);
  }
}

/** The params type of an equation, for callers building one-equation programs. */
export type EqnOf<P extends Primitive> = Readonly<{ prim: P; params: Params<P>; inputs: readonly VarId[]; out: VarId }>;
