/**
 * The kernel interface every backend implements. Kernels take and return flat row-major
 * Float32Arrays with their geometry given explicitly; shape checking and broadcasting belong to
 * `ops/`. Every kernel returns a fresh array and never mutates its inputs.
 *
 * Layouts follow PyTorch: conv2d weight `[O, C, kh, kw]`, conv-transpose weight
 * `[Cin, Cout, kh, kw]`, activations NCHW.
 */
import type { CompileContext, CompiledGraph, Graph } from './graph.js';

/** C[m, n] = op(A)[m, k] · op(B)[k, n]; op(A) = Aᵀ when `transA` (A is then stored [k, m]). */
export type GemmSpec = Readonly<{
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}>;

/**
 * A 2-D convolution: x `[n, c, h, w]` ⋆ weight `[o, c, kh, kw]` → y `[n, o, oh, ow]`, with
 * oh = ⌊(h + 2·padH − dilationH·(kh − 1) − 1) / strideH⌋ + 1 (likewise ow).
 * Build one with `convGeometry`, which validates and derives oh/ow.
 */
export type ConvGeometry = Readonly<{
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  dilationH: number;
  dilationW: number;
  oh: number;
  ow: number;
}>;

/**
 * The hyperparameters and this step's scalars of one fused Adam update (`adamUpdate`). All
 * are float32 values; `c1`, `c2` are the bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ and `lr` the
 * learning rate of this step. `weightDecay` is Adam's L2 term (added to the gradient) when
 * `decay` is 'l2', AdamW's decoupled term when 'decoupled', unused when 'none'. `rule`
 * 'adamax' is Adamax's step instead (v is then u∞; c2, epsRoot and the decay are unused).
 */
export type AdamStepSpec = Readonly<{
  rule: 'adam' | 'adamax';
  b1: number;
  b2: number;
  eps: number;
  epsRoot: number;
  weightDecay: number;
  decay: 'none' | 'l2' | 'decoupled';
  c1: number;
  c2: number;
  lr: number;
}>;

/** One leaf of a fused Adam update: the param, its gradient and its two moments, all of one length. */
export type AdamLeaf = Readonly<{ param: Float32Array; grad: Float32Array; m: Float32Array; v: Float32Array }>;

/** Result of one spectral-norm power-iteration step on W viewed as `[rows, cols]`. */
export type PowerIterationResult = Readonly<{ u: Float32Array; v: Float32Array; sigma: number }>;

export interface Backend {
  /** Short name: 'reference' | 'wasm' | 'webgpu'. */
  readonly name: string;
  /** A line describing the build (e.g. which wasm variant was chosen). */
  readonly description: string;

  /** C = op(A) · op(B); flops = 2·m·n·k. */
  gemm(a: Float32Array, b: Float32Array, spec: GemmSpec): Float32Array;

  /** y `[n, o, oh, ow]` = conv2d(x `[n, c, h, w]`, weight `[o, c, kh, kw]`), no bias. */
  conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array;

  /**
   * dx `[n, c, h, w]` from dy `[n, o, oh, ow]` and weight `[o, c, kh, kw]`. This is also the
   * transposed convolution: conv_transpose2d(x `[n, cin, h, w]`, weight `[cin, cout, kh, kw]`)
   * → `[n, cout, H, W]` is conv2dGradInput(x, weight, g) with g the geometry of the forward
   * convolution it is the input gradient of (g.c = cout, g.h = H, g.o = cin, g.oh = h; see
   * `convTransposeGeometry`, which also accounts for output padding).
   */
  conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array;

  /** dweight `[o, c, kh, kw]` from x `[n, c, h, w]` and dy `[n, o, oh, ow]`. */
  conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array;

  /**
   * One power-iteration step for the largest singular value of W `[rows, cols]`:
   * v = normalise(Wᵀu), u' = normalise(W v), sigma = u'ᵀ W v, with
   * normalise(z) = z / max(‖z‖₂, eps) (PyTorch's spectral_norm, eps = 1e-12).
   */
  powerIteration(w: Float32Array, rows: number, cols: number, u: Float32Array, eps?: number): PowerIterationResult;

  /**
   * One Adam step over every leaf at once (the `adamUpdate` primitive), with PyTorch's eps
   * placement; per element, in float32 and in this order (the op-composed `adam` rounds the same):
   *
   *   g ← g + λp (l2),  m' = β₁m + (1 − β₁)g,  v' = β₂v + (1 − β₂)g²,
   *   u = (m'/c1) / (√(v'/c2 + eps_root) + eps),  u ← u + λp (decoupled),  p' = p + (−lr)·u
   *
   * and for Adamax  m' as Adam's,  v' = max(β₂v, |g| + eps),  u = m' / (v'·c1),  p' = p + (−lr)·u.
   *
   * Returns the packed result `[3·total]` (total = Σ leaf lengths): every leaf's p' in order,
   * then every m', then every v'. Absent, the op-composed path is used.
   */
  adamUpdate?(leaves: readonly AdamLeaf[], spec: AdamStepSpec): Float32Array;

  /**
   * Compiles a traced graph (`jit`) into something that runs faster (fused loops, planned
   * buffers); absent, `jit` runs the graph op by op. Must give the op-by-op results.
   */
  compile?(graph: Graph, ctx: CompileContext): CompiledGraph;

  /** Releases what the backend holds outside the JS heap (worker threads); absent if nothing. */
  close?(): Promise<void>;
}
