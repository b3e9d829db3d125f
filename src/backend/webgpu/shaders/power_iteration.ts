import { bindings, f32Bits, u32, type Kernel } from './wgsl.js';

/** Threads of the power-iteration workgroup. */
const WG = 256;

/**
 * One spectral-norm power-iteration step on W `[rows, cols]` (in0) from u `[rows]` (in1), in one
 * workgroup: v = Wᵀu / max(‖Wᵀu‖, eps), wv = W v, u' = wv / max(‖wv‖, eps), σ = u'ᵀ wv =
 * ‖wv‖² / max(‖wv‖, eps); out `[rows + cols + 1]` = (u', v, σ). The norms are tree reductions in
 * workgroup memory; v is written to `out` and read back by every thread after a storage barrier.
 * The WGSL is one for every shape: rows, cols and eps are the params struct's fields.
 */
const SHADER = `struct PowerParams { rows: u32, cols: u32, eps: f32 }
${bindings(2, 'PowerParams')}
var<workgroup> red: array<f32, ${WG}>;
fn total(l: u32, x: f32) -> f32 {
  red[l] = x;
  workgroupBarrier();
  for (var s = ${u32(WG / 2)}; s > 0u; s = s / 2u) {
    if (l < s) { red[l] = red[l] + red[l + s]; }
    workgroupBarrier();
  }
  let t = red[0];
  workgroupBarrier();
  return t;
}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let R = P.rows;
  let C = P.cols;
  let l = lid.x;
  var ss = 0.0;
  for (var j = l; j < C; j += ${u32(WG)}) {
    var acc = 0.0;
    for (var i = 0u; i < R; i++) { acc += in0[i * C + j] * in1[i]; }
    out[R + j] = acc;
    ss += acc * acc;
  }
  let dv = max(sqrt(total(l, ss)), P.eps);
  for (var j = l; j < C; j += ${u32(WG)}) { out[R + j] = out[R + j] / dv; }
  storageBarrier();
  workgroupBarrier();
  var ss2 = 0.0;
  for (var i = l; i < R; i += ${u32(WG)}) {
    var acc = 0.0;
    for (var j = 0u; j < C; j++) { acc += in0[i * C + j] * out[R + j]; }
    out[i] = acc;
    ss2 += acc * acc;
  }
  let n2 = total(l, ss2);
  let du = max(sqrt(n2), P.eps);
  for (var i = l; i < R; i += ${u32(WG)}) { out[i] = out[i] / du; }
  if (l == 0u) { out[R + C] = n2 / du; }
}`;

/** The power-iteration step on W `[rows, cols]`: out `[rows + cols + 1]` = (u', v, σ). */
export function powerIterationKernel(rows: number, cols: number, eps: number): Kernel {
  return { wgsl: SHADER, params: [rows, cols, f32Bits(eps)], workgroups: [1, 1, 1] };
}
