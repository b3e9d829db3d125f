/**
 * The kernel calls of a traced step (`jit(f).lower(...)`): every matmul, convolution (forward,
 * input gradient — which is also the transposed convolution —, weight gradient) and
 * spectral-norm power iteration in its graph, with the flops each performs, counted from the
 * shapes:
 *
 *   matmul op(A)[m, k]·op(B)[k, n]               2·m·n·k
 *   conv2d, conv2dGradInput, conv2dGradWeight     2·N·O·OH·OW·C·KH·KW   (geometry of the forward conv)
 *   powerIteration on W [rows, cols]              4·rows·cols           (Wᵀu, then W v)
 *
 * Elementwise work (bias adds, activations, losses, Adam) is not counted: it is memory-bound
 * and a few MFLOP per step. `kernelReplay` runs the same calls back to back on one backend
 * with preallocated inputs and outputs, so the step's time can be set against the time its
 * kernels take alone.
 */
import type { ConvGeometry } from '../../src/backend/backend.js';
import type { Eqn, Graph } from '../../src/backend/graph.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { rand } from './peak.js';

export type KernelCall =
  | Readonly<{ kind: 'matmul'; m: number; n: number; k: number; transA: boolean; transB: boolean; flops: number; label: string }>
  | Readonly<{ kind: 'conv2d' | 'conv2dGradInput' | 'conv2dGradWeight'; geometry: ConvGeometry; flops: number; label: string }>
  | Readonly<{ kind: 'powerIteration'; rows: number; cols: number; flops: number; label: string }>;

/** 2·N·O·OH·OW·C·KH·KW: one multiply and one add per tap of every output of the forward convolution. */
export const convFlops = (g: ConvGeometry): number => 2 * g.n * g.o * g.oh * g.ow * g.c * g.kh * g.kw;

const geometryLabel = (g: ConvGeometry): string => `[${g.n},${g.c},${g.h},${g.w}]→[${g.n},${g.o},${g.oh},${g.ow}] k${g.kh} s${g.strideH} p${g.padH}`;

function callOf(graph: Graph, e: Eqn): KernelCall | undefined {
  const shape = (i: number): readonly number[] => graph.vars[e.inputs[i]!]!.shape;
  switch (e.prim) {
    case 'matmul': {
      const { transA, transB } = e.params as Readonly<{ transA: boolean; transB: boolean }>;
      const [ar, ac] = shape(0) as [number, number];
      const [br, bc] = shape(1) as [number, number];
      const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
      return { kind: 'matmul', m, n, k, transA, transB, flops: 2 * m * n * k, label: `matmul ${m}x${n}x${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}` };
    }
    case 'conv2d':
    case 'conv2dGradInput':
    case 'conv2dGradWeight': {
      const { geometry } = e.params as Readonly<{ geometry: ConvGeometry }>;
      return { kind: e.prim, geometry, flops: convFlops(geometry), label: `${e.prim} ${geometryLabel(geometry)}` };
    }
    case 'powerIteration': {
      const [rows, cols] = shape(0) as [number, number];
      return { kind: 'powerIteration', rows, cols, flops: 4 * rows * cols, label: `powerIteration ${rows}x${cols}` };
    }
    default:
      return undefined;
  }
}

/** The kernel calls of `graph`, in program order. */
export function kernelCalls(graph: Graph): KernelCall[] {
  return graph.eqns.flatMap((e) => {
    const c = callOf(graph, e);
    return c === undefined ? [] : [c];
  });
}

/** Σ flops of the kernel calls. */
export const totalFlops = (calls: readonly KernelCall[]): number => calls.reduce((acc, c) => acc + c.flops, 0);

/** Sizes (floats) of a call's inputs and output. */
function sizes(c: KernelCall): { inputs: number[]; out: number } {
  switch (c.kind) {
    case 'matmul':
      return { inputs: [c.m * c.k, c.k * c.n], out: c.m * c.n };
    case 'powerIteration':
      return { inputs: [c.rows * c.cols, c.rows], out: 0 };
    default: {
      const g = c.geometry;
      const x = g.n * g.c * g.h * g.w, w = g.o * g.c * g.kh * g.kw, y = g.n * g.o * g.oh * g.ow;
      if (c.kind === 'conv2d') return { inputs: [x, w], out: y };
      if (c.kind === 'conv2dGradInput') return { inputs: [y, w], out: x };
      return { inputs: [x, y], out: w };
    }
  }
}

/**
 * A function that runs `calls` back to back on `b`, each on inputs of its shapes (values in
 * [−1, 1)) into a preallocated output, as `bench/kernels.ts` times a kernel alone. Calls of
 * the same shapes share their buffers.
 */
export function kernelReplay(calls: readonly KernelCall[], b: WasmBackend): () => void {
  const buffers = new Map<string, { inputs: Float32Array[]; out: Float32Array }>();
  const runs = calls.map((c) => {
    const key = c.label;
    let buf = buffers.get(key);
    if (buf === undefined) {
      const s = sizes(c);
      buf = { inputs: s.inputs.map((n, i) => rand(n, 17 + i)), out: new Float32Array(s.out) };
      buffers.set(key, buf);
    }
    const [a, bb] = buf.inputs as [Float32Array, Float32Array];
    const out = buf.out;
    switch (c.kind) {
      case 'matmul':
        return () => b.gemm(a, bb, c, out);
      case 'conv2d':
        return () => b.conv2d(a, bb, c.geometry, out);
      case 'conv2dGradInput':
        return () => b.conv2dGradInput(a, bb, c.geometry, out);
      case 'conv2dGradWeight':
        return () => b.conv2dGradWeight(a, bb, c.geometry, out);
      case 'powerIteration':
        return () => b.powerIteration(a, c.rows, c.cols, bb);
    }
  });
  return () => {
    for (const r of runs) r();
  };
}
