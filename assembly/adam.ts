// The fused Adam step (src/backend/wasm/adam.ts drives it; the rule is `Backend.adamUpdate`'s).
//
// One pass over four f32 arrays (p, g, m, v) writing three (p', m', v'), four lanes at a time,
// with the same f32 operations in the same order as the op-composed Adam and the reference
// loop (src/backend/adam_step.ts): plain mul, add, div and sqrt, each correctly rounded, no FMA
// (not even in the relaxed build) and no reciprocals, so the results agree bit for bit.

/** Weight-decay modes of `adamStep`: none, L2 (g ← g + λp) or decoupled (u ← u + λp). */
const DECAY_L2: i32 = 1;
const DECAY_DECOUPLED: i32 = 2;

/**
 * Elements i0..i1 of one Adam step over flat arrays (byte offsets p, g, m, v in; pOut, mOut,
 * vOut out; outputs never alias inputs):
 *
 *   g ← g + λp (L2),  m' = β₁m + (1 − β₁)g,  v' = β₂v + (1 − β₂)g²,
 *   u = (m'/c1) / (√(v'/c2 [+ epsRoot]) + eps),  u ← u + λp (decoupled),  p' = p + rate·u
 *
 * `ob1` = 1 − β₁ and `ob2` = 1 − β₂ rounded to f32 (as the composed path's constants are),
 * `rate` = −lr. `root` says whether epsRoot is added (the composed path skips a zero epsRoot).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, pOut: usize, mOut: usize, vOut: usize,
  b1: f32, ob1: f32, b2: f32, ob2: f32, eps: f32, epsRoot: f32, wd: f32, decay: i32, root: i32,
  c1: f32, c2: f32, rate: f32, i0: i32, i1: i32,
): void {
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(ob1), vb2 = f32x4.splat(b2), vob2 = f32x4.splat(ob2);
  const veps = f32x4.splat(eps), vroot = f32x4.splat(epsRoot), vwd = f32x4.splat(wd);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), vrate = f32x4.splat(rate);
  const l2 = decay == DECAY_L2, decoupled = decay == DECAY_DECOUPLED, addRoot = root != 0;
  const end4 = i0 + ((i1 - i0) & ~3);
  let i = i0;
  for (; i < end4; i += 4) {
    const o = <usize>i * 4;
    const pv = v128.load(p + o);
    let gv = v128.load(g + o);
    if (l2) gv = f32x4.add(gv, f32x4.mul(pv, vwd));
    const m1 = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vob1));
    const v1 = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gv, gv), vob2));
    let vHat = f32x4.div(v1, vc2);
    if (addRoot) vHat = f32x4.add(vHat, vroot);
    let u = f32x4.div(f32x4.div(m1, vc1), f32x4.add(f32x4.sqrt(vHat), veps));
    if (decoupled) u = f32x4.add(u, f32x4.mul(pv, vwd));
    v128.store(pOut + o, f32x4.add(pv, f32x4.mul(u, vrate)));
    v128.store(mOut + o, m1);
    v128.store(vOut + o, v1);
  }
  for (; i < i1; i++) {
    const o = <usize>i * 4;
    const pv = load<f32>(p + o);
    let gv = load<f32>(g + o);
    if (l2) gv = gv + pv * wd;
    const m1 = load<f32>(m + o) * b1 + gv * ob1;
    const v1 = load<f32>(v + o) * b2 + gv * gv * ob2;
    let vHat = v1 / c2;
    if (addRoot) vHat = vHat + epsRoot;
    let u = m1 / c1 / (Mathf.sqrt(vHat) + eps);
    if (decoupled) u = u + pv * wd;
    store<f32>(pOut + o, pv + u * rate);
    store<f32>(mOut + o, m1);
    store<f32>(vOut + o, v1);
  }
}
