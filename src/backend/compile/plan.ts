import { shapesEqual, sizeOf } from '../../core/tensor.js';
import type { Primitive, Params } from '../../ops/primitives.js';
import type { Eqn, Graph, VarId } from '../graph.js';
import { fusionRule, KERNEL_PRIMITIVES, VIEW_PRIMITIVES } from './fusible.js';

/**
 * Fusion planning: a graph becomes a list of steps — fused elementwise groups, kernel calls,
 * views and equations left to the evaluation rules — in an order that respects every
 * dependency. The README's "jit" section describes the rules; in short, an elementwise
 * equation joins the open groups of its shape that produce its operands (merging them), a
 * group closes when anything outside it reads one of its values, and a closed group runs at
 * the position of its last member.
 */

/** How a fused loop reads an external operand at output index i. */
export type Access =
  | Readonly<{ kind: 'full' }>
  | Readonly<{ kind: 'scalar' }>
  /** Broadcast along one contiguous run of axes: element ⌊i / inner⌋ mod mid. */
  | Readonly<{ kind: 'blocked'; inner: number; mid: number }>;

/**
 * One operation inside a group: elementwise (`args[k].shape` is the operand as the operation
 * sees it), or a `sum` of a member over some axes, accumulated by the loop (a reduction
 * epilogue; its result exists only after the loop, so nothing in the group reads it).
 */
export type FusedNode = Readonly<{
  prim: Primitive;
  params: unknown;
  args: ReadonlyArray<Readonly<{ v: VarId; shape: readonly number[] }>>;
  out: VarId;
  /** False for the conv-bias additions the planner introduces (not equations of the graph). */
  fromGraph: boolean;
}>;

export type Group = {
  readonly shape: readonly number[];
  readonly nodes: FusedNode[];
  open: boolean;
};

export type Step =
  | Readonly<{ kind: 'group'; group: Group }>
  /** A GEMM / convolution; `out` is a fresh variable when the bias was split off into a group. */
  | Readonly<{ kind: 'kernel'; eqn: Eqn; out: VarId; bias: boolean }>
  | Readonly<{ kind: 'view'; eqn: Eqn }>
  | Readonly<{ kind: 'eval'; eqn: Eqn }>;

export type Plan = Readonly<{
  /** Shapes of the graph's variables followed by the planner's own (kernel results before their bias). */
  shapes: readonly (readonly number[])[];
  steps: readonly Step[];
  /** Variables written to memory: read outside their group, or outputs. */
  materialised: ReadonlySet<VarId>;
}>;

/** The access pattern of an operand of shape `x` in a loop over `out`, or undefined when it is not one the loop supports. */
export function accessOf(x: readonly number[], out: readonly number[]): Access | undefined {
  if (x.length > out.length) return undefined;
  const padded = [...new Array<number>(out.length - x.length).fill(1), ...x];
  if (padded.some((d, i) => d !== 1 && d !== out[i])) return undefined;
  if (padded.every((d, i) => d === out[i])) return { kind: 'full' };
  if (sizeOf(x) === 1) return { kind: 'scalar' };
  const varying = padded.map((d, i) => d !== 1 && out[i] !== 1);
  const d0 = varying.indexOf(true);
  const d1 = varying.lastIndexOf(true);
  for (let d = d0; d <= d1; d++) if (!varying[d] && out[d] !== 1) return undefined;
  return { kind: 'blocked', inner: sizeOf(out.slice(d1 + 1)), mid: sizeOf(out.slice(d0, d1 + 1)) };
}

/** The bias operand of a conv kernel with a bias: `[C]` seen as `[C, 1, 1]` against `[N, C, H, W]`. */
function biasChannels(eqn: Eqn): number {
  const g = (eqn.params as Params<'conv2d'>).geometry;
  return eqn.prim === 'conv2d' ? g.o : g.c;
}

export function planGraph(graph: Graph): Plan {
  const shapes: (readonly number[])[] = graph.vars.map((v) => v.shape);
  const slots: (Step | null)[] = [];
  const groupOf = new Map<VarId, Group>();
  const stepOfGroup = new Map<Group, number>();
  const materialised = new Set<VarId>();
  const reductions = new Set<VarId>();

  /** A read of v from outside its group (or of a reduction): v must be in memory, and its group can take no more members. */
  const readOutside = (v: VarId, reader?: Group): void => {
    const g = groupOf.get(v);
    if (g === undefined || (g === reader && !reductions.has(v))) return;
    g.open = false;
    materialised.add(v);
  };

  const place = (step: Step): void => {
    slots.push(step);
    if (step.kind === 'group') stepOfGroup.set(step.group, slots.length - 1);
  };

  /** Moves a group's step to the end (it runs after its newest member's operands exist). */
  const moveToEnd = (g: Group): void => {
    const at = stepOfGroup.get(g);
    if (at !== undefined) slots[at] = null;
    place({ kind: 'group', group: g });
  };

  /** Adds an elementwise node over `shape`, joining (and merging) the open groups it reads from. */
  const addNode = (node: FusedNode, shape: readonly number[]): void => {
    for (const a of node.args) if (reductions.has(a.v)) readOutside(a.v);
    const joined: Group[] = [];
    for (const a of node.args) {
      const g = groupOf.get(a.v);
      if (g !== undefined && g.open && !reductions.has(a.v) && shapesEqual(g.shape, shape) && shapesEqual(a.shape, shape) && !joined.includes(g)) joined.push(g);
    }
    const target: Group = joined.length === 1 ? joined[0]! : { shape, nodes: joined.flatMap((g) => g.nodes), open: true };
    if (joined.length > 1) {
      for (const g of joined) {
        slots[stepOfGroup.get(g)!] = null;
        stepOfGroup.delete(g);
        for (const n of g.nodes) groupOf.set(n.out, target);
      }
    }
    for (const a of node.args) readOutside(a.v, target);
    target.nodes.push(node);
    groupOf.set(node.out, target);
    moveToEnd(target);
  };

  /**
   * A sum over axes of a group's member, whose kept axes the loop can index, joins that group —
   * open or closed: it depends on nothing else, and whatever reads it comes later in the graph,
   * so the group's position stays valid (and a reader of a reduction closes its group).
   */
  const addReduction = (eqn: Eqn): boolean => {
    const x = eqn.inputs[0]!;
    const g = groupOf.get(x);
    const xs = shapes[x]!;
    if (g === undefined || reductions.has(x) || !shapesEqual(g.shape, xs)) return false;
    const { axes } = eqn.params as Params<'sum'>;
    const access = accessOf(xs.map((d, i) => (axes.includes(i) ? 1 : d)), xs);
    if (access === undefined || access.kind === 'full') return false;
    g.nodes.push({ prim: 'sum', params: eqn.params, args: [{ v: x, shape: xs }], out: eqn.out, fromGraph: true });
    groupOf.set(eqn.out, g);
    reductions.add(eqn.out);
    return true;
  };

  for (const eqn of graph.eqns) {
    const outShape = shapes[eqn.out]!;
    if (eqn.prim === 'sum' && addReduction(eqn)) continue;
    const rule = fusionRule(eqn.prim);
    const fusible =
      rule !== undefined &&
      eqn.inputs.length === rule.arity &&
      eqn.inputs.every((v) => accessOf(shapes[v]!, outShape) !== undefined) &&
      (!rule.joinOnly || eqn.inputs.some((v) => groupOf.get(v)?.open === true && !reductions.has(v) && shapesEqual(groupOf.get(v)!.shape, outShape)));
    if (fusible) {
      addNode({ prim: eqn.prim, params: eqn.params, args: eqn.inputs.map((v) => ({ v, shape: shapes[v]! })), out: eqn.out, fromGraph: true }, outShape);
      continue;
    }
    for (const v of eqn.inputs) readOutside(v);
    if (VIEW_PRIMITIVES.has(eqn.prim)) place({ kind: 'view', eqn });
    else if (KERNEL_PRIMITIVES.has(eqn.prim)) {
      const bias = eqn.inputs.length === 3;
      if (!bias) {
        place({ kind: 'kernel', eqn, out: eqn.out, bias: false });
        continue;
      }
      const raw = shapes.length;
      shapes.push(outShape);
      place({ kind: 'kernel', eqn, out: raw, bias: true });
      const biasVar = eqn.inputs[2]!;
      addNode(
        {
          prim: 'add',
          params: null,
          args: [
            { v: raw, shape: outShape },
            { v: biasVar, shape: [biasChannels(eqn), 1, 1] },
          ],
          out: eqn.out,
          fromGraph: false,
        },
        outShape,
      );
    } else place({ kind: 'eval', eqn });
  }
  for (const v of graph.outputs) {
    readOutside(v);
    materialised.add(v);
  }
  for (const v of reductions) materialised.add(v);
  return { shapes, steps: slots.filter((s): s is Step => s !== null), materialised };
}
