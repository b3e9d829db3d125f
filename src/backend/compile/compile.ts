import { sizeOf, tensor, type Tensor } from '../../core/tensor.js';
import type { ConvGeometry, GemmSpec } from '../backend.js';
import type { CompileContext, CompiledGraph, Eqn, Graph, RunProfile, VarId } from '../graph.js';
import type { Params } from '../../ops/primitives.js';
import { codegenAvailable, groupKernel, layoutOf, type GroupKernel, type GroupLayout } from './codegen.js';
import { planGraph, type Plan, type Step } from './plan.js';

/**
 * The JavaScript graph compiler, for any backend whose kernels take and return Float32Arrays:
 * fusion planning (`plan.ts`), generated loops for the fused groups (`codegen.ts`), backend
 * kernels for GEMM and convolutions, and a buffer plan so that intermediates live in slots
 * reused across the program and across calls. (The wasm backend compiles with its own
 * `wasm/resident.ts`, which shares the plan and the loops but keeps tensors in linear memory;
 * this one is its baseline in `bench/jit.ts` and runs the plan on the reference kernels in
 * tests.) Any other primitive runs through `ctx.evaluate` (its evaluation
 * rule), so a new primitive works unfused without touching the compiler.
 */

/** The kernels a compiled graph calls; each writes into `out` when given one (the wasm backend does). */
export type CompileKernels = Readonly<{
  gemm(a: Float32Array, b: Float32Array, spec: GemmSpec, out?: Float32Array): Float32Array;
  conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
  conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array;
}>;

export type CompileOptions = Readonly<{
  kernels: CompileKernels;
  /** Generate JavaScript loops for fused groups (default: when `new Function` is allowed); false runs each group's operations one at a time. */
  codegen?: boolean;
}>;

/** Where a value lives during a run. */
type Storage =
  | Readonly<{ kind: 'given' }> // a graph input or constant: never written
  | Readonly<{ kind: 'slot'; slot: number }> // a planned buffer, reused
  | Readonly<{ kind: 'fresh' }> // a new array each run (outputs the caller owns, unfused results)
  | Readonly<{ kind: 'view'; of: VarId }>; // shares the data of another value

type BufferPlan = Readonly<{ storage: ReadonlyMap<VarId, Storage>; slotSizes: readonly number[] }>;

/** Values a step reads from memory, and values it writes (group layouts give a group's). */
function stepIo(step: Step, layout: GroupLayout | undefined): { reads: VarId[]; writes: VarId[] } {
  switch (step.kind) {
    case 'group':
      return { reads: layout!.inputs.map((i) => i.v), writes: [...layout!.outputs] };
    case 'kernel':
      return { reads: step.bias ? step.eqn.inputs.slice(0, 2) : [...step.eqn.inputs], writes: [step.out] };
    case 'view':
    case 'eval':
      return { reads: [...step.eqn.inputs], writes: [step.eqn.out] };
  }
}

/**
 * Liveness-based slot assignment. A value's live range runs from the step that writes it to
 * the last step that reads it or any view of it. Slots are reused only by values of exactly
 * the same size. A group may take the slot of a full-size operand that dies at that step (its
 * loop loads every operand before storing); kernels never write into their operands.
 */
function planBuffers(graph: Graph, plan: Plan, layouts: ReadonlyMap<Step, GroupLayout>): BufferPlan {
  const storage = new Map<VarId, Storage>();
  for (const v of graph.inputs) storage.set(v, { kind: 'given' });
  for (const c of graph.consts) storage.set(c.id, { kind: 'given' });
  const root = (v: VarId): VarId => {
    const s = storage.get(v);
    return s?.kind === 'view' ? root(s.of) : v;
  };
  const ios = plan.steps.map((s) => stepIo(s, layouts.get(s)));
  // Views first (a view's root is known once its input's storage is), to find escaping roots.
  plan.steps.forEach((s) => {
    if (s.kind === 'view') storage.set(s.eqn.out, { kind: 'view', of: s.eqn.inputs[0]! });
  });
  const escaping = new Set(graph.outputs.map(root));
  const lastRead = new Map<VarId, number>();
  ios.forEach(({ reads }, k) => {
    for (const v of reads) lastRead.set(root(v), k);
  });
  const free = new Map<number, number[]>();
  const slotSizes: number[] = [];
  const release = (v: VarId): void => {
    const s = storage.get(v);
    if (s?.kind !== 'slot') return;
    const size = slotSizes[s.slot]!;
    free.set(size, [...(free.get(size) ?? []), s.slot]);
  };
  plan.steps.forEach((step, k) => {
    const { reads, writes } = ios[k]!;
    const dying = [...new Set(reads.map(root))].filter((v) => lastRead.get(v) === k);
    const inPlace = step.kind === 'group' ? dying.filter((v) => layouts.get(step)!.inputs.some((i) => root(i.v) === v && i.access.kind === 'full')) : [];
    for (const v of inPlace) release(v);
    for (const w of writes) {
      if (step.kind === 'view') continue;
      if (step.kind === 'eval' || escaping.has(w)) {
        storage.set(w, { kind: 'fresh' });
        continue;
      }
      const size = sizeOf(plan.shapes[w]!);
      const slot = free.get(size)?.pop() ?? slotSizes.push(size) - 1;
      storage.set(w, { kind: 'slot', slot });
    }
    for (const v of dying) if (!inPlace.includes(v)) release(v);
  });
  return { storage, slotSizes };
}

function gemmSpec(eqn: Eqn, shapes: Plan['shapes']): GemmSpec {
  const { transA, transB } = eqn.params as Params<'matmul'>;
  const [ar, ac] = shapes[eqn.inputs[0]!]! as [number, number];
  const [br, bc] = shapes[eqn.inputs[1]!]! as [number, number];
  return { m: transA ? ac : ar, k: transA ? ar : ac, n: transB ? br : bc, transA, transB };
}

type KernelCall = (k: CompileKernels, a: Float32Array, b: Float32Array, eqn: Eqn, shapes: Plan['shapes'], out: Float32Array | undefined) => Float32Array;
const geometry = (eqn: Eqn): ConvGeometry => (eqn.params as Params<'conv2d'>).geometry;

/** How each kernel primitive calls its backend kernel (the conv bias, if any, was split off by the planner). */
const KERNEL_CALLS: Readonly<Record<'matmul' | 'conv2d' | 'conv2dGradInput' | 'conv2dGradWeight', KernelCall>> = {
  matmul: (k, a, b, eqn, shapes, out) => k.gemm(a, b, gemmSpec(eqn, shapes), out),
  conv2d: (k, x, w, eqn, _s, out) => k.conv2d(x, w, geometry(eqn), out),
  conv2dGradInput: (k, dy, w, eqn, _s, out) => k.conv2dGradInput(dy, w, geometry(eqn), out),
  conv2dGradWeight: (k, x, dy, eqn, _s, out) => k.conv2dGradWeight(x, dy, geometry(eqn), out),
};

export function compileGraph(graph: Graph, ctx: CompileContext, opts: CompileOptions): CompiledGraph {
  const plan = planGraph(graph);
  const layouts = new Map<Step, GroupLayout>();
  for (const s of plan.steps) if (s.kind === 'group') layouts.set(s, layoutOf(s.group, plan.materialised));
  const { storage, slotSizes } = planBuffers(graph, plan, layouts);
  const useCodegen = opts.codegen ?? codegenAvailable();
  const kernels = new Map<Step, GroupKernel>();
  if (useCodegen) for (const [s, layout] of layouts) if (s.kind === 'group') kernels.set(s, groupKernel(s.group, layout));
  const k = opts.kernels;
  let slots: Float32Array[] | undefined;
  const given = new Map(graph.consts.map((c) => [c.id, c.value] as const));

  const run = (inputs: readonly Tensor[]): Tensor[] => {
    slots ??= slotSizes.map((n) => new Float32Array(n));
    const vals = new Array<Float32Array | undefined>(plan.shapes.length);
    graph.inputs.forEach((v, i) => {
      vals[v] = inputs[i]!.data;
    });
    for (const c of graph.consts) vals[c.id] = c.value.data;
    const target = (v: VarId): Float32Array | undefined => {
      const s = storage.get(v);
      return s?.kind === 'slot' ? slots![s.slot] : undefined;
    };
    const asTensor = (v: VarId, shape = plan.shapes[v]!): Tensor => ({ shape, data: vals[v]! });
    for (const step of plan.steps) {
      switch (step.kind) {
        case 'view':
          vals[step.eqn.out] = vals[step.eqn.inputs[0]!];
          break;
        case 'eval':
          vals[step.eqn.out] = ctx.evaluate(step.eqn, step.eqn.inputs.map((v) => asTensor(v))).data;
          break;
        case 'kernel': {
          const call = KERNEL_CALLS[step.eqn.prim as keyof typeof KERNEL_CALLS];
          vals[step.out] = call(k, vals[step.eqn.inputs[0]!]!, vals[step.eqn.inputs[1]!]!, step.eqn, plan.shapes, target(step.out));
          break;
        }
        case 'group': {
          const layout = layouts.get(step)!;
          const outs = layout.outputs.map((v) => target(v) ?? new Float32Array(sizeOf(plan.shapes[v]!)));
          const fn = kernels.get(step);
          if (fn !== undefined) fn(layout.inputs.map((i) => vals[i.v]!), outs, layout.size);
          else runGroupOpByOp(step, layout, outs, vals, ctx);
          layout.outputs.forEach((v, j) => {
            vals[v] = outs[j];
          });
          break;
        }
      }
    }
    return graph.outputs.map((v) => given.get(v) ?? (graph.inputs.includes(v) ? inputs[graph.inputs.indexOf(v)]! : tensor(plan.shapes[v]!, vals[v]!)));
  };
  return { run, profile: profileOf(plan, layouts, storage, slotSizes) };
}

/** The codegen-free path: each operation of the group through its evaluation rule, the materialised values copied out. */
export function runGroupOpByOp(
  step: Step & { kind: 'group' },
  layout: GroupLayout,
  outs: readonly Float32Array[],
  vals: (Float32Array | undefined)[],
  ctx: CompileContext,
): void {
  const local = new Map<VarId, Float32Array>();
  for (const n of step.group.nodes) {
    const args = n.args.map((a) => ({ shape: a.shape, data: local.get(a.v) ?? vals[a.v]! }));
    local.set(n.out, ctx.evaluate({ prim: n.prim, params: n.params as never, inputs: [], out: n.out }, args).data);
  }
  layout.outputs.forEach((v, j) => outs[j]!.set(local.get(v)!));
}

function profileOf(
  plan: Plan,
  layouts: ReadonlyMap<Step, GroupLayout>,
  storage: ReadonlyMap<VarId, Storage>,
  slotSizes: readonly number[],
): RunProfile {
  let passes = 0;
  let freshBytes = 0;
  let fusedEqns = 0;
  for (const s of plan.steps) {
    if (s.kind === 'view') continue;
    passes++;
    const writes = s.kind === 'group' ? layouts.get(s)!.outputs : [s.kind === 'kernel' ? s.out : s.eqn.out];
    for (const w of writes) if (storage.get(w)?.kind === 'fresh') freshBytes += 4 * sizeOf(plan.shapes[w]!);
    if (s.kind === 'group') fusedEqns += s.group.nodes.filter((n) => n.fromGraph).length;
  }
  return {
    passes,
    freshBytes,
    residentBytes: 4 * slotSizes.reduce((a, b) => a + b, 0),
    fusedEqns,
    groups: plan.steps.filter((s) => s.kind === 'group').length,
  };
}
