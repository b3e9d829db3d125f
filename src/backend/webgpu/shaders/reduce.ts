import { stridesOf } from './elementwise.js';
import { bindings, linearMain, u32 } from './wgsl.js';

/**
 * sum / max over `axes` of x: one thread per output element (the kept axes), looping over the
 * R reduced elements; the loop counter is split into reduced coordinates with baked strides.
 * Sums accumulate in f32. max keeps a NaN (x != x) once seen, like the reference.
 */
export function reduceShader(xShape: readonly number[], axes: readonly number[], kind: 'sum' | 'max'): string {
  const reduced = new Set(axes);
  const xs = stridesOf(xShape);
  const kept = xShape.map((_, d) => d).filter((d) => !reduced.has(d));
  const red = xShape.map((_, d) => d).filter((d) => reduced.has(d));
  const keptShape = kept.map((d) => xShape[d]!);
  const redShape = red.map((d) => xShape[d]!);
  const ks = stridesOf(keptShape);
  const rs = stridesOf(redShape);
  const n = keptShape.reduce((p, d) => p * d, 1);
  const r = redShape.reduce((p, d) => p * d, 1);
  const term = (idx: string, shape: readonly number[], strides: readonly number[], dims: readonly number[]): string =>
    ['0u', ...dims.map((d, k) => `((${idx} / ${u32(strides[k]!)}) % ${u32(shape[k]!)}) * ${u32(xs[d]!)}`)].join(' + ');
  const first = r === 0 ? '' : `  var acc = in0[base + ${term('0u', redShape, rs, red)}];`;
  const update = kind === 'sum' ? 'acc = acc + v;' : 'if (v > acc || v != v) { acc = v; }';
  const body =
    r === 0
      ? `  out[i] = 0.0;`
      : `  let base = ${term('i', keptShape, ks, kept)};
${first}
  for (var q = 1u; q < ${u32(r)}; q++) {
    let v = in0[base + ${term('q', redShape, rs, red)}];
    ${update}
  }
  out[i] = acc;`;
  return `${bindings(1)}\n${linearMain(n, body)}`;
}
