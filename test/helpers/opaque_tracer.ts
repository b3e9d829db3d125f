/**
 * Test support (no tests of its own): runs a function under a tracer whose `.data` cannot be
 * read, the way a `jit` trace sees values. Each primitive is evaluated on the primals and its
 * result wrapped again, so the values match eager evaluation, but any read of a traced
 * tensor's data (`.data[i]`, `.data.length`, a loop over it) throws. `isTensor` still recognises
 * the tracers: the data is a Float32Array proxy whose every property read throws.
 */
import { concrete, popInterpreter, pushInterpreter, Tracer, bind, type Interpreter } from '../../src/ops/dispatch.js';
import { treeMap } from '../../src/core/pytree.js';
import type { Tensor } from '../../src/core/tensor.js';
import type { Primitive, PrimitiveParams } from '../../src/ops/primitives.js';

export class DataReadError extends Error {}

class OpaqueTracer extends Tracer {
  override get data(): Float32Array {
    return new Proxy(new Float32Array(0), {
      get: (_target, prop) => {
        throw new DataReadError(`read .data.${String(prop)} of a traced tensor [${this.shape.join(', ')}]`);
      },
    });
  }
}

/**
 * `f(...inputs)` with every tensor leaf of `inputs` traced; returns the concrete outputs and the
 * primitives that ran under the trace.
 */
export function runOpaque<A extends unknown[], R>(f: (...args: A) => R, ...inputs: A): { out: R; primitives: Primitive[] } {
  const primitives: Primitive[] = [];
  const it: Interpreter = pushInterpreter((level) => ({
    level,
    process<P extends Primitive>(prim: P, xs: readonly Tensor[], params: PrimitiveParams[P]): Tensor {
      primitives.push(prim);
      const primals = xs.map((x) => (x instanceof OpaqueTracer && x.level === level ? x.primal : x));
      return new OpaqueTracer(level, bind(prim, primals, params));
    },
  }));
  try {
    const traced = inputs.map((x) => treeMap((l) => (typeof l === 'number' ? l : new OpaqueTracer(it.level, l)), x)) as A;
    const out = f(...traced);
    return { out: treeMap((l) => (typeof l === 'number' ? l : concrete(l)), out), primitives };
  } finally {
    popInterpreter(it);
  }
}
