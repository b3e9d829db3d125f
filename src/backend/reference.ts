import type { Backend, ConvGeometry, GemmSpec, PowerIterationResult } from './backend.js';
import { adamUpdateReference } from './adam_step.js';
import { checkConvBuffers, checkGemm, checkPowerIteration } from './geometry.js';

/**
 * The oracle: plain TypeScript loops that read like the definitions, accumulating in float64.
 * Slow on purpose; the other backends are tested against it.
 */

function gemm(a: Float32Array, b: Float32Array, s: GemmSpec): Float32Array {
  checkGemm(a, b, s);
  const { m, n, k, transA, transB } = s;
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transB ? b[j * k + p]! : b[p * n + j]!;
        acc += av * bv;
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}

/** Calls f(xIndex, yIndex, wIndex) for every kernel tap that lands inside x (not in padding). */
function forEachTap(
  g: ConvGeometry,
  f: (xi: number, yi: number, wi: number) => void,
): void {
  for (let n = 0; n < g.n; n++)
    for (let o = 0; o < g.o; o++)
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const yi = ((n * g.o + o) * g.oh + oy) * g.ow + ox;
          for (let c = 0; c < g.c; c++)
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.strideH - g.padH + ky * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.strideW - g.padW + kx * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                const xi = ((n * g.c + c) * g.h + iy) * g.w + ix;
                const wi = ((o * g.c + c) * g.kh + ky) * g.kw + kx;
                f(xi, yi, wi);
              }
            }
        }
}

function conv2d(x: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array {
  checkConvBuffers(g, { x, weight });
  const y = new Float64Array(g.n * g.o * g.oh * g.ow);
  forEachTap(g, (xi, yi, wi) => {
    y[yi]! += x[xi]! * weight[wi]!;
  });
  return Float32Array.from(y);
}

function conv2dGradInput(dy: Float32Array, weight: Float32Array, g: ConvGeometry): Float32Array {
  checkConvBuffers(g, { dy, weight });
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  forEachTap(g, (xi, yi, wi) => {
    dx[xi]! += dy[yi]! * weight[wi]!;
  });
  return Float32Array.from(dx);
}

function conv2dGradWeight(x: Float32Array, dy: Float32Array, g: ConvGeometry): Float32Array {
  checkConvBuffers(g, { x, dy });
  const dw = new Float64Array(g.o * g.c * g.kh * g.kw);
  forEachTap(g, (xi, yi, wi) => {
    dw[wi]! += dy[yi]! * x[xi]!;
  });
  return Float32Array.from(dw);
}

function normalise(z: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const v of z) ss += v * v;
  const d = Math.max(Math.sqrt(ss), eps);
  return z.map((v) => v / d);
}

function powerIteration(w: Float32Array, rows: number, cols: number, u: Float32Array, eps = 1e-12): PowerIterationResult {
  checkPowerIteration(w, rows, cols, u);
  const wtu = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wtu[j]! += w[i * cols + j]! * u[i]!;
  const v = normalise(wtu, eps);
  const wv = new Float64Array(rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) wv[i]! += w[i * cols + j]! * v[j]!;
  const u2 = normalise(wv, eps);
  let sigma = 0;
  for (let i = 0; i < rows; i++) sigma += u2[i]! * wv[i]!;
  return { u: Float32Array.from(u2), v: Float32Array.from(v), sigma };
}

export const referenceBackend: Backend = {
  name: 'reference',
  description: 'plain TypeScript loops, float64 accumulation (the oracle)',
  gemm,
  conv2d,
  conv2dGradInput,
  conv2dGradWeight,
  powerIteration,
  adamUpdate: adamUpdateReference,
};
