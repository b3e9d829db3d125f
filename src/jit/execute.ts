import { ShapeError } from '../core/errors.js';
import { sizeOf, type Tensor } from '../core/tensor.js';
import type { CompiledGraph, Eqn, Graph, VarId } from '../backend/graph.js';
import { bind } from '../ops/dispatch.js';
import type { Primitive } from '../ops/primitives.js';

/**
 * The op-by-op executor: the default for a backend without `compile` (the reference backend,
 * the oracle), and how a graph is replayed under an enclosing transform. Each equation goes
 * through `bind`, so on concrete inputs it is the evaluation rule, and on tracers of an
 * enclosing `grad` / `jit` it is recorded by that transform. Intermediates are dropped after
 * their last use.
 */

/** Primitives that return their input's data unchanged (no pass over memory, no allocation). */
export const VIEW_PRIMITIVES: ReadonlySet<Primitive> = new Set<Primitive>(['reshape', 'stopGradient']);

export const evaluateEqn = (eqn: Eqn, inputs: readonly Tensor[]): Tensor => bind(eqn.prim, inputs, eqn.params);

/** For each equation index, the variables whose last reader it is (outputs are never dropped). */
function lastUses(g: Graph): VarId[][] {
  const last = new Map<VarId, number>();
  g.eqns.forEach((e, i) => {
    for (const v of e.inputs) last.set(v, i);
  });
  for (const v of g.outputs) last.delete(v);
  const drops: VarId[][] = g.eqns.map(() => []);
  for (const [v, i] of last) drops[i]!.push(v);
  return drops;
}

/** Checks the tensors given for `graph.inputs` (count and shapes). */
export function checkInputs(g: Graph, inputs: readonly Tensor[]): void {
  if (inputs.length !== g.inputs.length) throw new ShapeError(`the graph takes ${g.inputs.length} inputs, got ${inputs.length}`);
  inputs.forEach((x, i) => {
    const want = g.vars[g.inputs[i]!]!.shape;
    if (x.shape.length !== want.length || x.shape.some((d, j) => d !== want[j])) {
      throw new ShapeError(`graph input ${i} has the wrong shape`, { expected: want, got: x.shape });
    }
  });
}

/** Runs `g` on `inputs` (tensors or tracers), one equation at a time through `bind`. */
export function runOpByOp(g: Graph, inputs: readonly Tensor[], drops: readonly VarId[][] = lastUses(g)): Tensor[] {
  checkInputs(g, inputs);
  const values = new Array<Tensor | undefined>(g.vars.length);
  g.inputs.forEach((v, i) => {
    values[v] = inputs[i];
  });
  for (const c of g.consts) values[c.id] = c.value;
  g.eqns.forEach((eqn, i) => {
    values[eqn.out] = evaluateEqn(eqn, eqn.inputs.map((v) => values[v]!));
    for (const v of drops[i]!) values[v] = undefined;
  });
  return g.outputs.map((v) => values[v]!);
}

/** Passes over memory and fresh bytes of one op-by-op run (every non-view equation allocates its result). */
export function opByOpProfile(g: Graph): CompiledGraph['profile'] {
  const real = g.eqns.filter((e) => !VIEW_PRIMITIVES.has(e.prim));
  return {
    passes: real.length,
    freshBytes: real.reduce((acc, e) => acc + 4 * sizeOf(g.vars[e.out]!.shape), 0),
    residentBytes: 0,
    fusedEqns: 0,
    groups: 0,
  };
}

/** The op-by-op executor as a `CompiledGraph`. */
export function opByOp(g: Graph): CompiledGraph {
  const drops = lastUses(g);
  return { run: (inputs) => runOpByOp(g, inputs, drops), profile: opByOpProfile(g) };
}
