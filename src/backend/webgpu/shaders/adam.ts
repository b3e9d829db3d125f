import type { AdamStepSpec } from '../../backend.js';
import { bindings, f32Bits, linearGrid, linearMain, linearParams, type Kernel } from './wgsl.js';

/**
 * The fused Adam update of one leaf (`adamUpdate`, one dispatch per leaf): bindings
 * in0 = c1, in1 = c2, in2 = lr (0-d), in3 = p, in4 = g, in5 = m, in6 = v (`[n]` each), out (the
 * packed `[3·total]` result of all leaves) and the params words P; this leaf writes p' at
 * `offset + i`, m' at `total + offset + i`, v' at `2·total + offset + i`. The rule is
 * `Backend.adamUpdate`'s, in float32 in the same order (the hyperparameters rounded as
 * `adamConstants` rounds them, passed as f32 bits):
 *
 *   g ← g + λp (l2),  m' = β₁m + (1 − β₁)g,  v' = β₂v + (1 − β₂)g²,
 *   u = (m'/c1) / (√(v'/c2 + eps_root) + eps),  u ← u + λp (decoupled),  p' = p + (−lr)·u
 *
 * and Adamax: m' as Adam's, v' = max(β₂v, |g| + eps) (a NaN β₂v kept), p' = p + (−lr)·(m' / (v'·c1)).
 * The WGSL depends only on the rule, the decay kind and whether eps_root is 0; params:
 * [n, row threads, offset, total, β₁, 1 − β₁, β₂, 1 − β₂, eps, λ, eps_root].
 * Nine storage bindings (seven read, `out`, P): above WebGPU's default of 8 per stage, so the
 * device is requested with the adapter's own limit (device.ts); an adapter with fewer fails
 * this kernel's pipeline with a `shader-compile` WebGPUError naming it.
 */
export type AdamHyper = Omit<AdamStepSpec, 'c1' | 'c2' | 'lr'>;

const word = (k: number): string => `bitcast<f32>(P[${k}])`;

function adamLeafWgsl(hyper: AdamHyper): string {
  const [b1, ob1, b2, ob2, eps, wd, epsRoot] = [4, 5, 6, 7, 8, 9, 10].map(word) as [string, string, string, string, string, string, string];
  const store = `  out[P[2] + i] = p + u * rate;
  out[P[3] + P[2] + i] = m1;
  out[2u * P[3] + P[2] + i] = v1;`;
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
    const root = hyper.epsRoot !== 0 ? `vHat + ${epsRoot}` : 'vHat';
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
  return `${bindings(7)}\n${linearMain(body)}`;
}

/** One leaf of n elements at `offset` in a packed result of `total` per part. */
export function adamLeafKernel(hyper: AdamHyper, n: number, offset: number, total: number): Kernel {
  const params = [
    ...linearParams(n),
    offset,
    total,
    f32Bits(hyper.b1),
    f32Bits(Math.fround(1 - hyper.b1)),
    f32Bits(hyper.b2),
    f32Bits(Math.fround(1 - hyper.b2)),
    f32Bits(hyper.eps),
    f32Bits(hyper.weightDecay),
    f32Bits(hyper.epsRoot),
  ];
  return { wgsl: adamLeafWgsl(hyper), params, workgroups: linearGrid(n) };
}
