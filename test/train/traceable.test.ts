/**
 * The step is traceable: run under an interpreter whose tracers have no values (as a `jit`
 * tracer has none: `.data` and `concrete()` throw), it completes, and every leaf of the new
 * state and of the metrics is a tracer of that interpreter, i.e. computed by primitives from
 * the inputs, never read back on the host.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { treeLeaves, treeMap } from '../../src/core/pytree.js';
import { key } from '../../src/core/random.js';
import type { Tensor } from '../../src/core/tensor.js';
import { bind, popInterpreter, pushInterpreter, Tracer, type Interpreter } from '../../src/ops/dispatch.js';
import type { Primitive, PrimitiveParams } from '../../src/ops/primitives.js';
import { LeakyReLU, Linear, BatchNorm, ReLU, sequential, spectralNorm } from '../../src/nn/index.js';
import { resolveTrainConfig } from '../../src/train/config.js';
import { drawRandomness, makeTrainCore } from '../../src/train/iteration.js';
import { initTrainState } from '../../src/train/state.js';
import { realBatches, tinyConfig } from '../helpers/tiny_gan.js';

/** Set only while the interpreter itself unwraps its inputs. */
let unwrapping = false;

/**
 * A tracer with no values for anyone but its interpreter: `.data` throws, and so does
 * `.primal` (what `concrete()` and a host-side stopGradient walk through to reach the values).
 */
class OpaqueTracer extends Tracer {
  constructor(level: number, value: Tensor) {
    super(level, value);
    Object.defineProperty(this, 'primal', {
      get: () => {
        if (!unwrapping) throw new Error(`concrete() (or .primal) used inside a traced step on a tensor of shape [${this.shape.join(', ')}]`);
        return value;
      },
    });
  }
  override get data(): Float32Array {
    throw new Error(`.data read inside a traced step (a tensor of shape [${this.shape.join(', ')}])`);
  }
}

class OpaqueInterpreter implements Interpreter {
  constructor(readonly level: number) {}
  wrap = (x: Tensor): Tensor => new OpaqueTracer(this.level, x);
  process<P extends Primitive>(prim: P, inputs: readonly Tensor[], params: PrimitiveParams[P]): Tensor {
    unwrapping = true;
    const primals = inputs.map((x) => (x instanceof OpaqueTracer && x.level === this.level ? x.primal : x));
    unwrapping = false;
    return this.wrap(bind(prim, primals, params));
  }
}

describe('traceability', () => {
  it('a whole iteration (SN and batch norm, gradient penalty, nDis 2) runs on tracers without .data and returns only tracers', () => {
    const config = resolveTrainConfig(
      tinyConfig({
        generator: sequential(spectralNorm(Linear(8)), BatchNorm(), ReLU(), Linear(2)),
        discriminator: sequential(spectralNorm(Linear(8)), LeakyReLU(0.2), spectralNorm(Linear(1))),
        loss: 'hinge',
        nDis: 2,
        regularizers: { gradientPenalty: { weight: 10 }, weightClip: { c: 1 } },
      }),
    );
    const state = initTrainState(config, key(0));
    const batch = { real: realBatches(0, 2) };
    const rnd = drawRandomness(config, key(1), 4);
    const it = pushInterpreter((level) => new OpaqueInterpreter(level));
    let out: unknown;
    try {
      const wrap = <T>(tree: T): T => treeMap((l) => (typeof l === 'number' ? l : it.wrap(l)), tree);
      out = makeTrainCore(config)(wrap(state), wrap(batch), wrap(rnd));
    } finally {
      popInterpreter(it);
    }
    const leaves = treeLeaves(out);
    const constant = leaves.filter((l) => !(l instanceof OpaqueTracer && l.level === it.level));
    assert.equal(constant.length, 0, `${constant.length} of ${leaves.length} outputs were not traced`);
  });
});
