import { ShapeError, ValueError } from '../core/errors.js';
import { treeFlatten, treeUnflatten, type Leaf } from '../core/pytree.js';
import { shapesEqual, sizeOf, tensor, zeros, type Tensor } from '../core/tensor.js';
import { bind, mapInputs, popInterpreter, pushInterpreter, Tracer, type Interpreter } from '../ops/dispatch.js';
import { add } from '../ops/elementwise.js';
import type { Inputs, Params, Primitive } from '../ops/primitives.js';
import { vjpRules, zeroCotangents } from './rules.js';

/**
 * Reverse-mode autodiff over pytrees, JAX style. `vjp` runs the function once with its inputs
 * wrapped as tracers of a fresh level, recording every primitive applied to them on a tape;
 * the returned pullback walks the tape backwards applying the VJP rules. The level is popped
 * before the pullback runs, so the rules' own ops are recorded by any *enclosing* transform:
 * that is how `grad(grad(f))`, WGAN-GP and R1 get their second-order terms.
 */

class ReverseTracer extends Tracer {
  constructor(
    level: number,
    primal: Tensor,
    readonly id: number,
  ) {
    super(level, primal);
  }
}

type TapeEntry = {
  readonly prim: Primitive;
  readonly params: unknown;
  readonly inputs: readonly Tensor[];
  readonly inputIds: readonly number[];
  readonly output: Tensor;
  readonly id: number;
};

/** A tape entry's rule, its primitive's types erased (the entry was recorded with matching inputs and params). */
type ErasedVjpRule = (
  ct: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  params: unknown,
  needs: readonly boolean[],
) => ReadonlyArray<Tensor | null>;

/** Primitives with the zero-cotangent rule are not recorded: their outputs are constants. */
const isConstant = (prim: Primitive): boolean => (vjpRules[prim] as unknown) === zeroCotangents;

class ReverseInterpreter implements Interpreter {
  readonly tape: TapeEntry[] = [];
  private nextId = 0;
  constructor(readonly level: number) {}

  mine(x: Tensor): x is ReverseTracer {
    return x instanceof ReverseTracer && x.level === this.level;
  }

  input(x: Tensor): ReverseTracer {
    return new ReverseTracer(this.level, x, this.nextId++);
  }

  process<P extends Primitive>(prim: P, inputs: Inputs<P>, params: Params<P>): Tensor {
    const primals = mapInputs(inputs, (x) => (this.mine(x) ? x.primal : x));
    const out = bind(prim, primals, params);
    if (isConstant(prim)) return out;
    const id = this.nextId++;
    const inputIds = (inputs as readonly Tensor[]).map((x) => (this.mine(x) ? x.id : -1));
    this.tape.push({ prim, params, inputs: primals, inputIds, output: out, id });
    return new ReverseTracer(this.level, out, id);
  }
}

/** Removes this level's tracers from a tree (their primals remain; outer levels' tracers stay). */
function stripLevel<T>(tree: T, it: ReverseInterpreter): T {
  const { leaves, treedef } = treeFlatten(tree);
  return treeUnflatten<T>(treedef, leaves.map((l) => (typeof l !== 'number' && it.mine(l) ? l.primal : l)));
}

/** The pullback of `vjp`: maps an output cotangent (same structure as the output) to input cotangents. */
export type Pullback<In, Out> = (cotangent: Out) => In;

/**
 * Runs `f(primals)` and returns its output and the pullback. Number leaves of `primals` are
 * treated as constants (their cotangent is 0).
 */
export function vjp<In, Out>(f: (x: In) => Out, primals: In): [Out, Pullback<In, Out>] {
  const [out, pullback] = vjpWithAux((x: In) => [f(x), null] as const, primals);
  return [out, pullback];
}

/** `vjp` for a function returning `[out, aux]`: aux is returned as is, without a cotangent. */
export function vjpWithAux<In, Out, Aux>(f: (x: In) => readonly [Out, Aux], primals: In): [Out, Pullback<In, Out>, Aux] {
  const it = pushInterpreter((level) => new ReverseInterpreter(level));
  let out: Out;
  let aux: Aux;
  let inputIds: number[];
  const inFlat = treeFlatten(primals);
  try {
    const inputs: Leaf[] = inFlat.leaves.map((l) => (typeof l === 'number' ? l : it.input(l)));
    inputIds = inputs.map((l) => (l instanceof ReverseTracer ? l.id : -1));
    const r = f(treeUnflatten<In>(inFlat.treedef, inputs));
    if (!Array.isArray(r) || r.length !== 2) throw new ValueError('a function with aux must return [value, aux]');
    out = r[0];
    aux = r[1];
  } finally {
    popInterpreter(it);
  }
  const outFlat = treeFlatten(out);
  const outIds = outFlat.leaves.map((l) => (typeof l !== 'number' && it.mine(l) ? l.id : -1));
  const primalOut = stripLevel(out, it);

  const pullback = (cotangent: Out): In => {
    const ctFlat = treeFlatten(cotangent);
    if (ctFlat.leaves.length !== outFlat.leaves.length) {
      throw new ShapeError(`vjp cotangent has ${ctFlat.leaves.length} leaves but the output has ${outFlat.leaves.length}`);
    }
    const cts = new Map<number, Tensor>();
    const accumulate = (id: number, g: Tensor): void => {
      const prev = cts.get(id);
      cts.set(id, prev === undefined ? g : add(prev, g));
    };
    outIds.forEach((id, i) => {
      const c = ctFlat.leaves[i]!;
      const o = outFlat.leaves[i]!;
      if (id < 0 || typeof c === 'number' || typeof o === 'number') return;
      if (!shapesEqual(c.shape, o.shape)) throw new ShapeError('vjp cotangent shape differs from the output', { output: o.shape, cotangent: c.shape });
      accumulate(id, c);
    });
    for (let e = it.tape.length - 1; e >= 0; e--) {
      const entry = it.tape[e]!;
      const ct = cts.get(entry.id);
      if (ct === undefined) continue;
      cts.delete(entry.id);
      const needs = entry.inputIds.map((id) => id >= 0);
      const rule = vjpRules[entry.prim] as ErasedVjpRule;
      const grads = rule(ct, entry.inputs, entry.output, entry.params, needs);
      entry.inputIds.forEach((id, i) => {
        const g = grads[i];
        if (id < 0 || g === null || g === undefined) return;
        if (!shapesEqual(g.shape, entry.inputs[i]!.shape)) {
          throw new ShapeError(`internal: VJP of ${entry.prim} gave a cotangent of the wrong shape for input ${i}`, {
            input: entry.inputs[i]!.shape,
            cotangent: g.shape,
          });
        }
        accumulate(id, g);
      });
    }
    const grads: Leaf[] = inFlat.leaves.map((l, i) => {
      if (typeof l === 'number') return 0;
      return cts.get(inputIds[i]!) ?? zeros(l.shape);
    });
    return treeUnflatten<In>(inFlat.treedef, grads);
  };
  return [primalOut, pullback, stripLevel(aux, it)];
}

export type GradOptions = Readonly<{ argnums?: number | readonly number[]; hasAux?: boolean }>;

function scalarOf(out: unknown): Tensor {
  if (typeof out === 'number') {
    throw new ValueError('grad: the function returned a plain number, so nothing depends on its inputs; return a Tensor');
  }
  if (typeof out !== 'object' || out === null || !('shape' in out)) {
    throw new ValueError(`grad needs a function returning a scalar Tensor (with hasAux: [value, aux]); got ${Object.prototype.toString.call(out)}`);
  }
  const t = out as Tensor;
  if (sizeOf(t.shape) !== 1) {
    throw new ShapeError(
      `grad needs a function with a scalar output (one element), got shape [${t.shape.join(', ')}]; reduce it (e.g. mean) or use vjp`,
      { output: t.shape },
    );
  }
  return t;
}

/** Shared engine of grad / valueAndGrad: returns value, aux and the gradients w.r.t. args[argnums]. */
function gradEngine(
  f: (...args: never[]) => unknown,
  opts: GradOptions,
): (...args: unknown[]) => { value: Tensor; aux: unknown; grads: unknown } {
  const argnums = opts.argnums ?? 0;
  const nums = typeof argnums === 'number' ? [argnums] : [...argnums];
  return (...args) => {
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) {
        throw new ValueError(`argnums ${n} is out of range for ${args.length} arguments`);
      }
    }
    const call = (diffArgs: unknown[]): readonly [Tensor, unknown] => {
      const full = [...args];
      nums.forEach((n, i) => {
        full[n] = diffArgs[i];
      });
      const r = (f as (...a: unknown[]) => unknown)(...full);
      if (!opts.hasAux) return [scalarOf(r), null];
      if (!Array.isArray(r) || r.length !== 2) throw new ValueError('with hasAux the function must return [value, aux]');
      return [scalarOf(r[0]), r[1]];
    };
    const [value, pullback, aux] = vjpWithAux(call, nums.map((n) => args[n]));
    const g = pullback(bind('broadcastTo', [tensor([], [1])], { shape: [...value.shape] }));
    return { value, aux, grads: typeof argnums === 'number' ? g[0] : g };
  };
}

/**
 * `valueAndGrad(f)(...args)` → `[f(...args), ∇_{args[0]} f]`. With `{ argnums: i }` the
 * gradient is w.r.t. `args[i]` (a tuple of gradients for an array of argnums); with
 * `{ hasAux: true }` f returns `[value, aux]` and the result is `[[value, aux], grads]`.
 * f must return a one-element Tensor. Gradients have the structure of the differentiated
 * argument; its number leaves are constants (gradient 0).
 */
export function valueAndGrad<A extends unknown[]>(f: (...args: A) => Tensor): (...args: A) => [Tensor, A[0]];
export function valueAndGrad<A extends unknown[], N extends number>(
  f: (...args: A) => Tensor,
  opts: Readonly<{ argnums: N; hasAux?: false }>,
): (...args: A) => [Tensor, A[N]];
export function valueAndGrad<A extends unknown[], Aux>(
  f: (...args: A) => readonly [Tensor, Aux],
  opts: Readonly<{ hasAux: true; argnums?: 0 }>,
): (...args: A) => [[Tensor, Aux], A[0]];
export function valueAndGrad(f: (...args: never[]) => unknown, opts?: GradOptions): (...args: unknown[]) => [unknown, unknown];
export function valueAndGrad(f: (...args: never[]) => unknown, opts: GradOptions = {}) {
  const engine = gradEngine(f, opts);
  return (...args: unknown[]) => {
    const { value, aux, grads } = engine(...args);
    return [opts.hasAux ? [value, aux] : value, grads];
  };
}

/** `grad(f)(...args)`: the gradient of scalar f w.r.t. `args[0]` (see valueAndGrad for options). */
export function grad<A extends unknown[]>(f: (...args: A) => Tensor): (...args: A) => A[0];
export function grad<A extends unknown[], N extends number>(
  f: (...args: A) => Tensor,
  opts: Readonly<{ argnums: N; hasAux?: false }>,
): (...args: A) => A[N];
export function grad<A extends unknown[], Aux>(
  f: (...args: A) => readonly [Tensor, Aux],
  opts: Readonly<{ hasAux: true; argnums?: 0 }>,
): (...args: A) => [A[0], Aux];
export function grad(f: (...args: never[]) => unknown, opts?: GradOptions): (...args: unknown[]) => unknown;
export function grad(f: (...args: never[]) => unknown, opts: GradOptions = {}) {
  const engine = gradEngine(f, opts);
  return (...args: unknown[]) => {
    const { aux, grads } = engine(...args);
    return opts.hasAux ? [grads, aux] : grads;
  };
}

export { stopGradient } from '../ops/stop_gradient.js';
