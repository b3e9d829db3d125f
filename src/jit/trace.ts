import { JitError } from '../core/errors.js';
import { treeFlatten, treeUnflatten, type Leaf, type TreeDef } from '../core/pytree.js';
import type { Tensor } from '../core/tensor.js';
import type { Eqn, Graph, VarId, VarInfo } from '../backend/graph.js';
import { bind, isTracer, mapInputs, popInterpreter, pushInterpreter, Tracer, type Interpreter } from '../ops/dispatch.js';
import type { Inputs, Params, Primitive } from '../ops/primitives.js';

/**
 * Tracing by example (the README's "jit" design): `f` runs once on real values under a jit
 * interpreter level; user code sees `JitTracer`s, and every `bind` that reaches the level both
 * evaluates the primitive on the example values and appends an equation to the graph.
 */

/** Where a traced value came from, for error messages. */
type Origin = Readonly<{ kind: 'input'; path: string } | { kind: 'eqn'; prim: Primitive }>;

const describe = (o: Origin): string => (o.kind === 'input' ? `the input ${o.path}` : `the value computed by \`${o.prim}\``);

/** A traced tensor: its example value (`primal`) and its variable in the graph being built. */
export class JitTracer extends Tracer {
  constructor(
    level: number,
    primal: Tensor,
    readonly id: VarId,
    readonly origin: Origin,
    private readonly fnName: string,
  ) {
    super(level, primal);
  }

  private refuse(what: string): JitError {
    return new JitError(
      `jit(${this.fnName}): ${describe(this.origin)} (shape [${this.shape.join(', ')}]) was ${what} inside the jitted function; ` +
        'while tracing, values are symbolic, so the program may not depend on them. ' +
        'For a value-dependent choice use where(cond, a, b); to use the value on the host, return it from the jitted function and read it outside.',
    );
  }

  override get data(): Float32Array {
    throw this.refuse('read through .data');
  }

  override unwrap(): Tensor {
    throw this.refuse('stripped to its values (concrete())');
  }

  /** `x > 0`, `Number(x)`, `${x}`: JavaScript control flow on a traced value. */
  [Symbol.toPrimitive](): never {
    throw this.refuse('converted to a number or string (e.g. `if (x > 0)`)');
  }
}

/** The example value under any stack of tracers (jit internals only: user code gets a JitError). */
export function exampleValue(x: Tensor): Tensor {
  let v = x;
  while (v instanceof Tracer) v = v.primal;
  return v;
}

class JitInterpreter implements Interpreter {
  readonly vars: VarInfo[] = [];
  readonly eqns: Eqn[] = [];
  readonly consts: { id: VarId; value: Tensor }[] = [];
  private readonly constIds = new Map<Tensor, VarId>();
  readonly inputs: VarId[] = [];

  constructor(
    readonly level: number,
    readonly fnName: string,
  ) {}

  mine(x: Tensor): x is JitTracer {
    return x instanceof JitTracer && x.level === this.level;
  }

  private newVar(shape: readonly number[]): VarId {
    this.vars.push({ shape });
    return this.vars.length - 1;
  }

  input(value: Tensor, path: string): JitTracer {
    const id = this.newVar(value.shape);
    this.inputs.push(id);
    return new JitTracer(this.level, value, id, { kind: 'input', path }, this.fnName);
  }

  /** The variable of a tensor met by the trace: its own tracer's, or a (deduplicated) constant. */
  varOf(x: Tensor, where: string): VarId {
    if (this.mine(x)) return x.id;
    if (isTracer(x)) {
      throw new JitError(
        `jit(${this.fnName}): ${where} is a tracer of an enclosing transform (a value being differentiated by grad/vjp, or traced by an outer jit) that is not an argument of the jitted function; pass it as an argument instead of closing over it`,
      );
    }
    const known = this.constIds.get(x);
    if (known !== undefined) return known;
    const id = this.newVar(x.shape);
    this.constIds.set(x, id);
    this.consts.push({ id, value: x });
    return id;
  }

  process<P extends Primitive>(prim: P, inputs: Inputs<P>, params: Params<P>): Tensor {
    const ids = (inputs as readonly Tensor[]).map((x, i) => this.varOf(x, `input ${i} of \`${prim}\``));
    const out = bind(prim, mapInputs(inputs, (x) => (this.mine(x) ? x.primal : x)), params);
    const id = this.newVar(out.shape);
    this.eqns.push({ prim, params, inputs: ids, out: id } as Eqn);
    return new JitTracer(this.level, out, id, { kind: 'eqn', prim }, this.fnName);
  }
}

/** A traced function: its graph, the result's structure, and the result of the tracing run. */
export type Traced = Readonly<{
  graph: Graph;
  /** The result's structure; its tensor leaves are `graph.outputs` in order. */
  outTree: TreeDef;
  /** The result's number leaves (kept as values), by leaf index; tensor leaves are absent. */
  outNumbers: ReadonlyMap<number, number>;
  /** The values the tracing run computed for `graph.outputs` (op-by-op results). */
  tracedOutputs: readonly Tensor[];
}>;

/**
 * Traces `f(...args)` with the tensor leaves of `args` as graph inputs (their example values
 * are the leaves' values under any tracers). Number leaves are passed through as numbers.
 */
export function traceFunction(f: (...args: never[]) => unknown, args: readonly unknown[], fnName: string, paths: readonly string[]): Traced {
  const flat = treeFlatten(args);
  const it = pushInterpreter((level) => new JitInterpreter(level, fnName));
  let result: unknown;
  try {
    const leaves: Leaf[] = flat.leaves.map((l, i) => (typeof l === 'number' ? l : it.input(exampleValue(l), paths[i] ?? `leaf ${i}`)));
    result = (f as (...a: unknown[]) => unknown)(...treeUnflatten<unknown[]>(flat.treedef, leaves));
  } finally {
    popInterpreter(it);
  }
  const out = treeFlatten(result);
  const outputs: VarId[] = [];
  const tracedOutputs: Tensor[] = [];
  const outNumbers = new Map<number, number>();
  out.leaves.forEach((l, i) => {
    if (typeof l === 'number') {
      outNumbers.set(i, l);
      return;
    }
    outputs.push(it.varOf(l, `leaf ${i} of the result`));
    tracedOutputs.push(it.mine(l) ? l.primal : l);
  });
  const graph = prune({ vars: it.vars, inputs: it.inputs, consts: it.consts, eqns: it.eqns, outputs });
  return { graph, outTree: out.treedef, outNumbers, tracedOutputs };
}

/** Drops the equations (and constants) no output depends on. */
export function prune(g: Graph): Graph {
  const live = new Set<VarId>(g.outputs);
  const kept: Eqn[] = [];
  for (let e = g.eqns.length - 1; e >= 0; e--) {
    const eqn = g.eqns[e]!;
    if (!live.has(eqn.out)) continue;
    kept.push(eqn);
    for (const v of eqn.inputs) live.add(v);
  }
  kept.reverse();
  return { ...g, eqns: kept, consts: g.consts.filter((c) => live.has(c.id)) };
}
