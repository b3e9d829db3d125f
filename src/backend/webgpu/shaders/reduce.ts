import { stridesOf } from './elementwise.js';
import { bindings, linearGrid, linearMain, linearParams, type Kernel } from './wgsl.js';

/**
 * sum / max over `axes` of x: one thread per output element (the kept axes), looping over the
 * R reduced elements; an index (the output element i, the loop counter q) is split into its
 * coordinates (innermost first) and mapped to x by the params' strides. Sums accumulate in
 * f32. max keeps a NaN (x != x) once seen, like the reference. The WGSL depends only on the
 * kind; P = [n, rowThreads, R, kept rank, reduced rank, (dim, x stride) per kept axis, then per
 * reduced axis].
 */
const shader = (kind: 'sum' | 'max'): string => `${bindings(1)}
fn xOffset(idx: u32, at: u32, count: u32) -> u32 {
  var rest = idx;
  var o = 0u;
  for (var d = count; d > 0u; d--) {
    let a = at + 2u * (d - 1u);
    o += (rest % P[a]) * P[a + 1u];
    rest = rest / P[a];
  }
  return o;
}
${linearMain(`  let r = P[2];
  if (r == 0u) { out[i] = 0.0; return; }
  let nk = P[3];
  let red = 5u + 2u * nk;
  let base = xOffset(i, 5u, nk);
  var acc = in0[base];
  for (var q = 1u; q < r; q++) {
    let v = in0[base + xOffset(q, red, P[4])];
    ${kind === 'sum' ? 'acc = acc + v;' : 'if (v > acc || v != v) { acc = v; }'}
  }
  out[i] = acc;`)}`;

const SHADERS = { sum: shader('sum'), max: shader('max') } as const;

/** sum / max of x `xShape` over `axes` → the kept axes. */
export function reduceKernel(xShape: readonly number[], axes: readonly number[], kind: 'sum' | 'max'): Kernel {
  const reduced = new Set(axes);
  const xs = stridesOf(xShape);
  const kept = xShape.map((_, d) => d).filter((d) => !reduced.has(d));
  const red = xShape.map((_, d) => d).filter((d) => reduced.has(d));
  const words = (dims: readonly number[]): number[] => dims.flatMap((d) => [xShape[d]!, xs[d]!]);
  const n = kept.reduce((p, d) => p * xShape[d]!, 1);
  const r = red.reduce((p, d) => p * xShape[d]!, 1);
  return { wgsl: SHADERS[kind], params: [...linearParams(n), r, kept.length, red.length, ...words(kept), ...words(red)], workgroups: linearGrid(n) };
}
