import { ValueError } from '../core/errors.js';
import { TRACED, type Tensor } from '../core/tensor.js';
import { evalRules } from './impl.js';
import type { Inputs, Params, Primitive } from './primitives.js';

/**
 * The dispatcher (JAX's `bind` with a stack of interpreters). Every op ends in
 * `bind(primitive, inputs, params)`. With no transform active it evaluates on the current
 * backend. A transform (autodiff) pushes an `Interpreter` at a new level; values it hands to
 * user code are `Tracer`s of that level. `bind` finds the highest level among its inputs and
 * lets that interpreter process the primitive; lower-level tracers are constants to it. This
 * is what keeps nested transforms from confusing their perturbations.
 *
 * `ops/` never imports `autodiff/`: autodiff registers itself here by pushing levels.
 */

/**
 * A value seen by user code while a transform is running. Structurally it is a Tensor (shape
 * and data of its primal), so ops and user code need not tell the difference; it carries the
 * `TRACED` mark so `isTensor` recognises it without reading data (a tracing transform's
 * tracers may have none, and library code inside a step must not read it).
 */
export abstract class Tracer {
  readonly [TRACED] = true;
  readonly shape: readonly number[];
  constructor(
    readonly level: number,
    readonly primal: Tensor,
  ) {
    this.shape = primal.shape;
  }
  /** The concrete values (of the primal, recursively). Reading them does not break tracing. */
  get data(): Float32Array {
    return this.primal.data;
  }
  /** The value one level down, for `concrete`; a staging transform (jit), whose values are symbolic, throws. */
  unwrap(): Tensor {
    return this.primal;
  }
}

export interface Interpreter {
  readonly level: number;
  process<P extends Primitive>(prim: P, inputs: Inputs<P>, params: Params<P>): Tensor;
}

/** `inputs` with each tensor replaced by `f(tensor)`: the same arity, so still `Inputs<P>`. */
export function mapInputs<P extends Primitive>(inputs: Inputs<P>, f: (x: Tensor) => Tensor): Inputs<P> {
  return (inputs as readonly Tensor[]).map(f) as Inputs<P>;
}

const stack: Interpreter[] = [];
/** Levels are unique and increase with every push, so a stale tracer never matches a new level. */
let nextLevel = 1;

/** Pushes a new interpreter made by `make(level)`; returns it. Pair with `popInterpreter`. */
export function pushInterpreter<I extends Interpreter>(make: (level: number) => I): I {
  const it = make(nextLevel++);
  stack.push(it);
  return it;
}

export function popInterpreter(it: Interpreter): void {
  const top = stack[stack.length - 1];
  if (top !== it) throw new ValueError('transform levels popped out of order (a transform escaped its scope)');
  stack.pop();
}

export const isTracer = (x: unknown): x is Tracer => x instanceof Tracer;

/** Strips every tracer level: the concrete tensor underneath (a JitError inside `jit`). */
export function concrete(x: Tensor): Tensor {
  let v = x;
  while (v instanceof Tracer) v = v.unwrap();
  return v;
}

/** Applies a primitive to inputs, dispatching to the highest active transform level. */
export function bind<P extends Primitive>(prim: P, inputs: Inputs<P>, params: Params<P>): Tensor {
  let top = 0;
  for (const x of inputs) if (x instanceof Tracer && x.level > top) top = x.level;
  if (top === 0) return evalRules[prim](inputs, params);
  let it: Interpreter | undefined;
  for (let i = stack.length - 1; i >= 0 && it === undefined; i--) if (stack[i]!.level === top) it = stack[i];
  if (it === undefined) {
    throw new ValueError(
      `a tracer from a finished transform (level ${top}) was used: values computed inside grad/vjp/jit must not escape it; return them instead`,
    );
  }
  return it.process(prim, inputs, params);
}
