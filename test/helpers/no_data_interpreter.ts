/**
 * Test support (no tests of its own): an interpreter whose tracers have no readable data, the
 * way a tracing `jit` sees values. `withoutData(inputs, f)` pushes a transform level, hands `f`
 * its inputs as `DatalessTracer`s and evaluates every primitive `f` binds on the real values
 * behind them. Reading `.data` of a tracer throws, and so does reading the data of what
 * `concrete()` returns for one (its primal is a shape-only stand-in), so `f` passes only if it
 * is built from ops alone. The result is returned with real values, to compare with an eager run.
 */
import { treeFlatten, treeUnflatten } from '../../src/core/pytree.js';
import type { Tensor } from '../../src/core/tensor.js';
import { bind, mapInputs, popInterpreter, pushInterpreter, Tracer, type Interpreter } from '../../src/ops/dispatch.js';
import type { Inputs, Params, Primitive } from '../../src/ops/primitives.js';

/** Thrown when traced code reads tensor data. */
export class DataReadError extends Error {}

const noData = (shape: readonly number[]): Tensor =>
  Object.freeze({
    shape,
    get data(): Float32Array {
      throw new DataReadError(`the concrete value behind a traced [${shape.join(', ')}] tensor was read`);
    },
  });

class DatalessTracer extends Tracer {
  constructor(
    level: number,
    readonly value: Tensor,
  ) {
    super(level, noData(value.shape));
  }

  override get data(): Float32Array {
    throw new DataReadError(`.data of a traced [${this.shape.join(', ')}] tensor was read`);
  }
}

class DatalessInterpreter implements Interpreter {
  constructor(readonly level: number) {}

  mine(x: Tensor): x is DatalessTracer {
    return x instanceof DatalessTracer && x.level === this.level;
  }

  process<P extends Primitive>(prim: P, inputs: Inputs<P>, params: Params<P>): Tensor {
    const out = bind(prim, mapInputs(inputs, (x) => (this.mine(x) ? x.value : x)), params);
    return new DatalessTracer(this.level, out);
  }
}

/** Runs `f(inputs)` with every tensor leaf of `inputs` (and of what f computes) data-less. */
export function withoutData<In, Out>(inputs: In, f: (x: In) => Out): Out {
  const it = pushInterpreter((level) => new DatalessInterpreter(level));
  try {
    const flat = treeFlatten(inputs);
    const traced = flat.leaves.map((l) => (typeof l === 'number' ? l : new DatalessTracer(it.level, l)));
    const out = treeFlatten(f(treeUnflatten<In>(flat.treedef, traced)));
    return treeUnflatten<Out>(out.treedef, out.leaves.map((l) => (typeof l !== 'number' && it.mine(l) ? l.value : l)));
  } finally {
    popInterpreter(it);
  }
}

/** `f(...args)` run under `withoutData`: the variadic form, for functions of several pytrees. */
export function callWithoutData<A extends unknown[], R>(f: (...args: A) => R, ...args: A): R {
  return withoutData(args, (xs) => f(...xs));
}
