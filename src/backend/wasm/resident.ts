import { sizeOf, tensor, type Tensor } from '../../core/tensor.js';
import type { Params, Primitive } from '../../ops/primitives.js';
import type { ConvGeometry, GemmSpec } from '../backend.js';
import type { CompileContext, CompiledGraph, Eqn, Graph, RunProfile, VarId } from '../graph.js';
import { codegenAvailable, groupKernel, layoutOf, type GroupLayout } from '../compile/codegen.js';
import { runGroupOpByOp } from '../compile/compile.js';
import { planGraph, type Step } from '../compile/plan.js';
import type { Arena } from './arena.js';
import type { WasmExports } from './exports.js';
import { encodeGroup, FUSED_BLOCK, type FusedProgram } from './fused_program.js';
import type { PointerKernels } from './kernels.js';
import { singleThread, type WorkerPool } from './pool.js';
import { JOB_FUSED } from './protocol.js';

/**
 * The wasm backend's graph compiler: the step's tensors stay in linear memory for the whole
 * graph. The fusion plan is `compile/plan.ts`'s; then
 *
 * - every value gets a place in the arena's resident region (`Arena.resident`), planned by
 *   liveness: a value's place is reused by a later value of the same (64-byte-rounded) size
 *   once its last reader has run, and a fused group may write over a full-size operand that
 *   dies there (every block is loaded before it is stored);
 * - kernels (GEMM, convolutions, the fused Adam step) run on those offsets (`PointerKernels`),
 *   and the parts of a packed result (`packedPart`) are views into it; fused groups run as
 *   programs of the wasm interpreter (`fused_program.ts`, `assembly/fused.ts`), large ones
 *   split across the threads (`threadRanges`) — or, for groups it cannot run (pow; or
 *   approximate math with `exactMath`), as the JavaScript loop of `compile/codegen.ts` over
 *   views of the region;
 * - only graph inputs are copied in (once each per run) and graph outputs copied out (one
 *   slice each, at the end); an equation left to its evaluation rule (`eval` steps, e.g. a
 *   sum the loops cannot index) copies its operands out and its result in.
 *
 * Constants and the programs are written into the region when the graph is compiled and again
 * only when another graph used the region in between (`Arena.claim`). Views of memory are
 * renewed after anything that can grow it (kernels' scratch, evaluation rules), since growth
 * detaches (or, shared, replaces) the buffer. Runs are not reentrant: the region is one per
 * backend and a run owns it until it returns.
 */

export type ResidentOptions = Readonly<{
  arena: Arena;
  exports: WasmExports;
  kernels: PointerKernels;
  /** The threads large fused groups without sums are split across, in element ranges (absent: the calling thread alone). */
  pool?: WorkerPool;
  /** Run groups with approximate operations (exp, log, tanh, …) as JavaScript loops, so that every result has the evaluation rules' bits. */
  exactMath?: boolean;
  /** Generate JavaScript loops for groups the interpreter cannot run (default: when `new Function` is allowed). */
  codegen?: boolean;
  /** Benchmarks: milliseconds per kind of step are added here on every run (absent: nothing is timed). */
  timer?: StepTimer;
}>;

/**
 * Where a run's time goes: copies across the boundary, kernels, the fused Adam step, fused groups in the wasm
 * interpreter or as JavaScript loops, evaluation rules — and, of the fused groups, those that
 * write a graph output (a training step's parameter and optimiser-state updates) as `updates`.
 */
export type StepTimer = Record<'copies' | 'kernels' | 'adam' | 'fused' | 'updates' | 'jsLoops' | 'eval', number>;

/**
 * Fused groups with fewer elements run on the calling thread alone: waking a worker and waiting
 * for it costs about what a pass over this many elements does (a small MLP's [256, 128]
 * activations, 2¹⁵ elements, ran slower split; README, "The 8-Gaussians step"). Split ranges
 * are whole blocks.
 */
export const MIN_SPLIT_ELEMENTS = 1 << 17;

/** A thread's share of a fused group: `fusedRun`'s start, end, period and reps. */
type FusedRange = [start: number, end: number, period: number, reps: number];

/**
 * How a group of n elements is split across `threads` (one range per thread, the calling
 * thread's first; one range when it is not split). Without sums: consecutive runs of whole
 * blocks. With sums that all index their accumulators alike (size accumulators, each over runs
 * of `inner` consecutive elements, repeating with period inner·size: the bias gradients' sums
 * over [0, 2, 3] or [0]): each thread takes a run of accumulators (channels) in every period,
 * so every accumulator still adds its elements in increasing index (the same bits). Any other
 * sum (a loss summed to a scalar) keeps the group on the calling thread.
 */
function threadRanges(n: number, sums: FusedProgram['sums'], threads: number): FusedRange[] {
  const whole: FusedRange[] = [[0, n, 0, 1]];
  if (threads === 1 || n < MIN_SPLIT_ELEMENTS) return whole;
  if (sums.length === 0) {
    const per = Math.ceil(n / threads / FUSED_BLOCK) * FUSED_BLOCK;
    const ranges: FusedRange[] = [];
    for (let i0 = 0; i0 < n && ranges.length < threads; i0 += per) ranges.push([i0, Math.min(n, i0 + per), 0, 1]);
    return ranges;
  }
  const { inner, size } = sums[0]!;
  if (size < threads || sums.some((s) => s.inner !== inner || s.size !== size)) return whole;
  const per = Math.ceil(size / threads);
  if (per * inner < MIN_RUN_ELEMENTS) return whole;
  const ranges: FusedRange[] = [];
  for (let q0 = 0; q0 < size && ranges.length < threads; q0 += per) ranges.push([q0 * inner, Math.min(size, q0 + per) * inner, inner * size, n / (inner * size)]);
  return ranges;
}

/** The shortest run of elements a thread's share of a group with sums may be made of (shorter runs cost more in block overhead than a thread saves). */
const MIN_RUN_ELEMENTS = 256;

/** Byte alignment of every place in the region (a cache line). */
const ALIGN = 64;
const align = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

const geometry = (eqn: Eqn): ConvGeometry => (eqn.params as Params<'conv2d'>).geometry;

function gemmSpec(eqn: Eqn, shapes: readonly (readonly number[])[]): GemmSpec {
  const { transA, transB } = eqn.params as Params<'matmul'>;
  const [ar, ac] = shapes[eqn.inputs[0]!]! as [number, number];
  const [br, bc] = shapes[eqn.inputs[1]!]! as [number, number];
  return { m: transA ? ac : ar, k: transA ? ar : ac, n: transB ? br : bc, transA, transB };
}

/** Values a step reads, and values it writes. */
function stepIo(step: Step, layout: GroupLayout | undefined): { reads: VarId[]; writes: VarId[] } {
  switch (step.kind) {
    case 'group':
      return { reads: layout!.inputs.map((i) => i.v), writes: [...layout!.outputs] };
    case 'kernel':
      return { reads: step.eqn.inputs.slice(0, 2), writes: [step.out] };
    case 'view':
      return { reads: [], writes: [] };
    case 'eval':
      return { reads: [...step.eqn.inputs], writes: [step.eqn.out] };
  }
}

type Places = Readonly<{ offset: ReadonlyMap<VarId, number>; bytes: number }>;

/**
 * Where a view starts in its base, in bytes: a reshape or stopGradient at 0, a `packedPart`
 * (one output of a multi-output kernel such as adamUpdate's packed result) at its offset.
 */
const viewByteOffset = (eqn: Eqn): number => (eqn.prim === 'packedPart' ? 4 * (eqn.params as Params<'packedPart'>).offset : 0);

/** Primitives the plan leaves to their evaluation rules that this compiler runs itself: as a kernel on offsets, or as a view (a contiguous slice of a 1-D packed result). */
export const RESIDENT_KERNELS: ReadonlySet<Primitive> = new Set<Primitive>(['adamUpdate']);
export const RESIDENT_VIEWS: ReadonlySet<Primitive> = new Set<Primitive>(['packedPart']);

/** The plan's steps, with the RESIDENT_VIEWS run as views instead of evaluation rules. */
const residentSteps = (steps: readonly Step[]): Step[] => steps.map((s) => (s.kind === 'eval' && RESIDENT_VIEWS.has(s.eqn.prim) ? { kind: 'view', eqn: s.eqn } : s));

/**
 * Places (byte offsets from the start of the values area) for every value that is in memory,
 * views sharing their root's. Inputs and constants are placed first; constants and outputs
 * are never reused; everything else is free after its last reader.
 */
function placeValues(graph: Graph, steps: readonly Step[], layouts: ReadonlyMap<Step, GroupLayout>, shapes: readonly (readonly number[])[]): Places & { root: (v: VarId) => VarId } {
  const viewOf = new Map<VarId, VarId>();
  const viewDelta = new Map<VarId, number>();
  for (const s of steps) {
    if (s.kind !== 'view') continue;
    viewOf.set(s.eqn.out, s.eqn.inputs[0]!);
    viewDelta.set(s.eqn.out, viewByteOffset(s.eqn));
  }
  const root = (v: VarId): VarId => {
    let r = v;
    while (viewOf.has(r)) r = viewOf.get(r)!;
    return r;
  };
  const ios = steps.map((s) => stepIo(s, layouts.get(s)));
  const lastRead = new Map<VarId, number>();
  ios.forEach(({ reads }, k) => {
    for (const v of reads) lastRead.set(root(v), k);
  });
  const pinned = new Set<VarId>([...graph.outputs.map(root), ...graph.consts.map((c) => c.id)]);
  const offset = new Map<VarId, number>();
  const sizeOfPlace = new Map<VarId, number>();
  const free = new Map<number, number[]>();
  let bytes = 0;
  const place = (v: VarId): void => {
    const size = align(4 * sizeOf(shapes[v]!));
    const reused = free.get(size)?.pop();
    offset.set(v, reused ?? bytes);
    sizeOfPlace.set(v, size);
    if (reused === undefined) bytes += size;
  };
  const release = (v: VarId): void => {
    if (pinned.has(v) || !offset.has(v)) return;
    const size = sizeOfPlace.get(v)!;
    free.set(size, [...(free.get(size) ?? []), offset.get(v)!]);
  };
  for (const c of graph.consts) place(c.id);
  for (const v of graph.inputs) if (!offset.has(v)) place(v);
  // Inputs nobody reads are free at once (outputs among them are pinned).
  for (const v of graph.inputs) if (!lastRead.has(v)) release(v);
  steps.forEach((step, k) => {
    const { reads, writes } = ios[k]!;
    const dying = [...new Set(reads.map(root))].filter((v) => lastRead.get(v) === k);
    const layout = layouts.get(step);
    const inPlace = layout === undefined ? [] : dying.filter((v) => layout.inputs.some((i) => root(i.v) === v && i.access.kind === 'full'));
    for (const v of inPlace) release(v);
    for (const w of writes) place(w);
    for (const v of dying) if (!inPlace.includes(v)) release(v);
  });
  const deltaToRoot = (v: VarId): number => {
    let d = 0;
    for (let r = v; viewOf.has(r); r = viewOf.get(r)!) d += viewDelta.get(r)!;
    return d;
  };
  for (const v of viewOf.keys()) if (offset.has(root(v))) offset.set(v, offset.get(root(v))! + deltaToRoot(v));
  return { offset, bytes, root };
}

export function compileResident(graph: Graph, ctx: CompileContext, opts: ResidentOptions): CompiledGraph {
  const { arena, exports: wx, kernels: at } = opts;
  const pool = opts.pool ?? singleThread;
  const planned = planGraph(graph);
  const plan = { ...planned, steps: residentSteps(planned.steps) };
  const shapes = plan.shapes;
  const layouts = new Map<Step, GroupLayout>();
  for (const s of plan.steps) if (s.kind === 'group') layouts.set(s, layoutOf(s.group, plan.materialised));
  const places = placeValues(graph, plan.steps, layouts, shapes);
  const region = arena.resident(0, 'jit graph');

  // Region layout: programs, registers (one set per thread), sum accumulators, then the values.
  const groupSteps = plan.steps.filter((s): s is Step & { kind: 'group' } => s.kind === 'group');
  let accBytes = 0;
  const accOffsets: number[] = [];
  const pending: { step: Step; program: FusedProgram | undefined }[] = [];
  // First pass with provisional addresses to size the program area; programs hold absolute
  // offsets, so they are encoded once the layout is known.
  let programWords = 0;
  let registers = 0;
  for (const s of groupSteps) {
    const probe = encodeGroup(s.group, layouts.get(s)!, {
      addr: () => 0,
      accumulators: (size) => {
        accOffsets.push(accBytes);
        const at0 = accBytes;
        accBytes += align(8 * size);
        return at0;
      },
      exactOnly: opts.exactMath ?? false,
    });
    if (probe !== undefined) {
      programWords += probe.words.length;
      registers = Math.max(registers, probe.registers);
    }
  }
  const progBase = region;
  const regsBase = align(progBase + 4 * programWords);
  const regsBytes = align(registers * FUSED_BLOCK * 4);
  const accBase = align(regsBase + pool.threads * regsBytes);
  const valuesBase = align(accBase + accBytes);
  const total = valuesBase + places.bytes - region;
  arena.resident(total, 'the tensors of a jit graph');
  const addr = (v: VarId): number => valuesBase + places.offset.get(v)!;

  let accNext = 0;
  let wordAt = 0;
  const programs = new Int32Array(programWords);
  for (const s of groupSteps) {
    const program = encodeGroup(s.group, layouts.get(s)!, {
      addr,
      accumulators: () => accBase + accOffsets[accNext++]!,
      exactOnly: opts.exactMath ?? false,
    });
    if (program !== undefined) {
      programs.set(program.words, wordAt);
      pending.push({ step: s, program: { ...program, words: programs.subarray(wordAt, wordAt + program.words.length) } });
      wordAt += program.words.length;
    } else pending.push({ step: s, program: undefined });
  }
  const programOf = new Map(pending.map((p) => [p.step, p.program] as const));
  const useCodegen = opts.codegen ?? codegenAvailable();

  const floats = (v: VarId): number => sizeOf(shapes[v]!);
  const viewOf = (f32: Float32Array, v: VarId): Float32Array => f32.subarray(addr(v) >> 2, (addr(v) >> 2) + floats(v));
  const owner = {};
  const writeKept = (): void => {
    const f32 = arena.f32();
    new Int32Array(f32.buffer, progBase, programWords).set(programs);
    for (const c of graph.consts) f32.set(c.value.data, addr(c.id) >> 2);
  };

  let copies = 0;
  let copiedBytes = 0;
  let freshBytes = 0;
  let wasmGroups = 0;
  const run: (() => void)[] = [];
  const outputSet = new Set(graph.outputs.map(places.root));
  const timer = opts.timer;
  /** Adds `fn` to the run (timed under `kind` when there is a timer). */
  const push = (kind: keyof StepTimer, fn: () => void): void => {
    if (timer === undefined) run.push(fn);
    else
      run.push(() => {
        const t0 = performance.now();
        fn();
        timer[kind] += performance.now() - t0;
      });
  };
  /** The fused Adam step as a resident kernel: leaves and step scalars read in place, the packed result written at the equation's place. */
  const pushAdam = (eqn: Eqn): void => {
    const hyper = eqn.params as Params<'adamUpdate'>;
    const [c1, c2, lr] = eqn.inputs as [VarId, VarId, VarId];
    const k = (eqn.inputs.length - 3) / 4;
    const leaves = Array.from({ length: k }, (_, i) => {
      const [p, g, m, v] = [0, 1, 2, 3].map((j) => addr(eqn.inputs[3 + j * k + i]!)) as [number, number, number, number];
      return { p, g, m, v, n: floats(eqn.inputs[3 + i]!) };
    });
    const out = addr(eqn.out);
    push('adam', () => {
      const f32 = arena.f32();
      at.adamUpdate(leaves, out, { ...hyper, c1: f32[addr(c1) >> 2]!, c2: f32[addr(c2) >> 2]!, lr: f32[addr(lr) >> 2]! });
    });
  };
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'view':
        break;
      case 'kernel': {
        const [a, b] = step.eqn.inputs as [VarId, VarId];
        const pa = addr(a), pb = addr(b), pc = addr(step.out);
        const prim = step.eqn.prim;
        if (prim === 'matmul') {
          const spec = gemmSpec(step.eqn, shapes);
          push('kernels', () => {
            arena.reset();
            at.gemm(pa, pb, pc, spec);
          });
        } else {
          const g = geometry(step.eqn);
          const call = prim === 'conv2d' ? at.conv2d : prim === 'conv2dGradInput' ? at.conv2dGradInput : at.conv2dGradWeight;
          push('kernels', () => {
            arena.reset();
            call(pa, pb, pc, g);
          });
        }
        break;
      }
      case 'eval': {
        const eqn = step.eqn;
        if (RESIDENT_KERNELS.has(eqn.prim)) {
          pushAdam(eqn);
          break;
        }
        const out = eqn.out;
        copies += eqn.inputs.length + 1;
        copiedBytes += 4 * (eqn.inputs.reduce((acc, v) => acc + floats(v), 0) + floats(out));
        freshBytes += 4 * (eqn.inputs.reduce((acc, v) => acc + floats(v), 0) + floats(out));
        push('eval', () => {
          const f32 = arena.f32();
          const args: Tensor[] = eqn.inputs.map((v) => ({ shape: shapes[v]!, data: viewOf(f32, v).slice() }));
          const y = ctx.evaluate(eqn, args);
          arena.f32().set(y.data, addr(out) >> 2);
        });
        break;
      }
      case 'group': {
        const layout = layouts.get(step)!;
        const program = programOf.get(step);
        const kind = layout.outputs.some((v) => outputSet.has(places.root(v))) ? 'updates' : program !== undefined ? 'fused' : 'jsLoops';
        if (program !== undefined) {
          wasmGroups++;
          const progPtr = progBase + program.words.byteOffset;
          const { instructions, sums } = program;
          const n = layout.size;
          const ranges = threadRanges(n, sums, pool.threads);
          const jobs = ranges.slice(1).map((r, t) => [progPtr, instructions, ...r, regsBase + (t + 1) * regsBytes]);
          const own = ranges[0]!;
          push(kind, () => {
            if (sums.length > 0) {
              const f64 = arena.f64();
              for (const s of sums) f64.fill(0, s.acc >> 3, (s.acc >> 3) + s.size);
            }
            if (jobs.length === 0) wx.fusedRun(progPtr, instructions, ...own, regsBase);
            else pool.run(JOB_FUSED, jobs, () => wx.fusedRun(progPtr, instructions, ...own, regsBase));
            if (sums.length > 0) {
              const f64 = arena.f64();
              const f32 = arena.f32();
              for (const s of sums) for (let j = 0; j < s.size; j++) f32[(s.out >> 2) + j] = f64[(s.acc >> 3) + j]!;
            }
          });
        } else if (useCodegen) {
          const fn = groupKernel(step.group, layout);
          push(kind, () => {
            const f32 = arena.f32();
            fn(
              layout.inputs.map((i) => viewOf(f32, i.v)),
              layout.outputs.map((v) => viewOf(f32, v)),
              layout.size,
            );
          });
        } else {
          push(kind, () => {
            const f32 = arena.f32();
            const vals: (Float32Array | undefined)[] = [];
            for (const i of layout.inputs) vals[i.v] = viewOf(f32, i.v);
            runGroupOpByOp(step, layout, layout.outputs.map((v) => viewOf(f32, v)), vals, ctx);
          });
        }
        break;
      }
    }
  }

  const given = new Map(graph.consts.map((c) => [c.id, c.value] as const));
  const inputIndex = new Map(graph.inputs.map((v, i) => [v, i] as const));
  // Inputs that a step reads or an output views (directly, or through reshapes) are copied in.
  const needed = new Set([...plan.steps.flatMap((s) => stepIo(s, layouts.get(s)).reads), ...graph.outputs].map(places.root));
  const copiedIn = graph.inputs.map((v, i) => [v, i] as const).filter(([v]) => needed.has(v));
  const outputsOut = graph.outputs.filter((v) => !given.has(v) && !inputIndex.has(v));
  copies += copiedIn.length + new Set(outputsOut).size;
  copiedBytes += 4 * (copiedIn.reduce((acc, [v]) => acc + floats(v), 0) + [...new Set(outputsOut)].reduce((acc, v) => acc + floats(v), 0));
  freshBytes += 4 * [...new Set(outputsOut)].reduce((acc, v) => acc + floats(v), 0);
  writeKept();
  arena.claim(owner);

  const profile: RunProfile = {
    passes: run.length,
    freshBytes,
    residentBytes: total,
    fusedEqns: groupSteps.reduce((acc, s) => acc + s.group.nodes.filter((n) => n.fromGraph).length, 0),
    groups: groupSteps.length,
    boundaryCopies: copies,
    boundaryBytes: copiedBytes,
    wasmGroups,
  };

  return {
    profile,
    run(inputs) {
      arena.resident(total, 'the tensors of a jit graph');
      if (arena.claim(owner) !== owner) writeKept();
      let t0 = timer === undefined ? 0 : performance.now();
      let f32 = arena.f32();
      for (const [v, i] of copiedIn) f32.set(inputs[i]!.data, addr(v) >> 2);
      if (timer !== undefined) timer.copies += performance.now() - t0;
      for (const r of run) r();
      t0 = timer === undefined ? 0 : performance.now();
      f32 = arena.f32();
      const out = new Map<VarId, Tensor>();
      const result = graph.outputs.map((v) => {
        const c = given.get(v);
        if (c !== undefined) return c;
        const i = inputIndex.get(v);
        if (i !== undefined) return inputs[i]!;
        let t = out.get(v);
        if (t === undefined) {
          t = tensor(shapes[v]!, f32.slice(addr(v) >> 2, (addr(v) >> 2) + floats(v)));
          out.set(v, t);
        }
        return t;
      });
      if (timer !== undefined) timer.copies += performance.now() - t0;
      return result;
    },
  };
}
