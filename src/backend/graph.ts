import type { Tensor } from '../core/tensor.js';
import type { Params, Primitive } from '../ops/primitives.js';

/**
 * The program `jit` hands to a backend: a flat graph of primitives in SSA form over numbered
 * variables (the README's "jit" design section). It is plain data; `jit` builds it by tracing,
 * a backend may compile it (`Backend.compile`), and the op-by-op executor runs it otherwise.
 *
 * (The primitive vocabulary is `ops/`'s, imported as types only: the graph is the contract
 * between the dispatcher's primitives and the backends that run them.)
 */

/** A variable: an index into `Graph.vars`. */
export type VarId = number;

/** What is known of a variable: every tensor is float32, so its shape. */
export type VarInfo = Readonly<{ shape: readonly number[] }>;

/** One `bind(prim, inputs, params)`: reads `inputs`, defines `out`. */
export type Eqn<P extends Primitive = Primitive> = Readonly<{
  prim: P;
  params: Params<P>;
  inputs: readonly VarId[];
  out: VarId;
}>;

export type Graph = Readonly<{
  /** Shape of every variable, by id. */
  vars: readonly VarInfo[];
  /** The tensor leaves of the arguments, in flatten order. */
  inputs: readonly VarId[];
  /** Tensors baked in at trace time (closed over, or computed from constants only). */
  consts: ReadonlyArray<Readonly<{ id: VarId; value: Tensor }>>;
  /** In topological order: every input of an equation is an input, a constant or an earlier output. */
  eqns: readonly Eqn[];
  /** The tensor leaves of the result, in flatten order (a variable may appear more than once). */
  outputs: readonly VarId[];
}>;

/** What a compiler may use that only `jit` knows: the evaluation rule of any primitive. */
export type CompileContext = Readonly<{
  /** Evaluates one equation on concrete inputs exactly as op-by-op execution would. */
  evaluate: (eqn: Eqn, inputs: readonly Tensor[]) => Tensor;
}>;

/** Counts describing one run of a compiled graph (for benchmarks and tests, not for timing). */
export type RunProfile = Readonly<{
  /** Loops over tensor memory per run: one per kernel call, fused group or unfused equation. */
  passes: number;
  /** Bytes of fresh Float32Arrays a run allocates (outputs, unfused results). */
  freshBytes: number;
  /** Bytes of the planned buffers the compiled graph keeps between runs. */
  residentBytes: number;
  /** Equations that run inside fused groups, and how many groups there are. */
  fusedEqns: number;
  groups: number;
  /** Copies across a memory boundary per run (wasm: into and out of linear memory) and their bytes; absent where tensors stay in JS memory. */
  boundaryCopies?: number;
  boundaryBytes?: number;
  /** Groups run by a native fused kernel (wasm: the SIMD interpreter) rather than generated JavaScript. */
  wasmGroups?: number;
}>;

/** A graph compiled by a backend: runs it on the tensors of `Graph.inputs`, in order. */
export interface CompiledGraph {
  run(inputs: readonly Tensor[]): Tensor[];
  readonly profile: RunProfile;
}
