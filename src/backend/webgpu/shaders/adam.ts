import type { AdamStepSpec } from '../../backend.js';
import { bindings, f32, linearMain, u32 } from './wgsl.js';

/**
 * The fused Adam update of one leaf (`adamUpdate`, one dispatch per leaf): bindings
 * in0 = c1, in1 = c2, in2 = lr (0-d), in3 = p, in4 = g, in5 = m, in6 = v (`[n]` each) and out,
 * the packed `[3·total]` result of all leaves; this leaf writes p' at `offset + i`, m' at
 * `total + offset + i`, v' at `2·total + offset + i`. The rule is `Backend.adamUpdate`'s, in
 * float32 in the same order (the hyperparameters baked in as f32 literals, as
 * `adamConstants` rounds them):
 *
 *   g ← g + λp (l2),  m' = β₁m + (1 − β₁)g,  v' = β₂v + (1 − β₂)g²,
 *   u = (m'/c1) / (√(v'/c2 + eps_root) + eps),  u ← u + λp (decoupled),  p' = p + (−lr)·u
 *
 * and Adamax: m' as Adam's, v' = max(β₂v, |g| + eps) (a NaN β₂v kept), p' = p + (−lr)·(m' / (v'·c1)).
 * Seven read bindings and one written: the WebGPU default limit of 8 storage buffers per stage.
 */
export type AdamHyper = Omit<AdamStepSpec, 'c1' | 'c2' | 'lr'>;

export function adamLeafShader(hyper: AdamHyper, n: number, offset: number, total: number): string {
  const b1 = f32(hyper.b1);
  const ob1 = f32(Math.fround(1 - hyper.b1));
  const b2 = f32(hyper.b2);
  const ob2 = f32(Math.fround(1 - hyper.b2));
  const eps = f32(hyper.eps);
  const wd = f32(hyper.weightDecay);
  const store = `  out[${u32(offset)} + i] = p + u * rate;
  out[${u32(total + offset)} + i] = m1;
  out[${u32(2 * total + offset)} + i] = v1;`;
  const head = `  let c1 = in0[0];
  let rate = -in2[0];
  let p = in3[i];`;
  let body: string;
  if (hyper.rule === 'adamax') {
    // c2 is unused; the phony read keeps binding 1 in the 'auto' layout.
    body = `${head}
  _ = in1[0];
  let g = in4[i];
  let m1 = in5[i] * ${b1} + g * ${ob1};
  let x = in6[i] * ${b2};
  let y = abs(g) + ${eps};
  let v1 = select(y, x, x >= y || x != x);
  let u = m1 / (v1 * c1);
${store}`;
  } else {
    const l2 = hyper.decay === 'l2' ? `\n  g = g + p * ${wd};` : '';
    const decoupled = hyper.decay === 'decoupled' ? `\n  u = u + p * ${wd};` : '';
    const root = hyper.epsRoot !== 0 ? `vHat + ${f32(hyper.epsRoot)}` : 'vHat';
    body = `${head}
  let c2 = in1[0];
  var g = in4[i];${l2}
  let m1 = in5[i] * ${b1} + g * ${ob1};
  let v1 = in6[i] * ${b2} + (g * g) * ${ob2};
  let vHat = v1 / c2;
  let den = sqrt(${root}) + ${eps};
  var u = (m1 / c1) / den;${decoupled}
${store}`;
  }
  return `${bindings(7)}\n${linearMain(n, body)}`;
}
