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
 * Elements i0..i1 of one Adamax step (the layout of `adamStep`, v holding u∞):
 * m' = β₁m + (1 − β₁)g,  u∞' = max(β₂u∞, |g| + eps),  p' = p + rate·(m' / (u∞'·c1)).
 * max propagates NaN from either operand, as the `maximum` primitive does.
 */
function adamaxStep(
  p: usize, g: usize, m: usize, v: usize, pOut: usize, mOut: usize, vOut: usize,
  b1: f32, ob1: f32, b2: f32, eps: f32, c1: f32, rate: f32, i0: i32, i1: i32,
): void {
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(ob1), vb2 = f32x4.splat(b2);
  const veps = f32x4.splat(eps), vc1 = f32x4.splat(c1), vrate = f32x4.splat(rate);
  const end4 = i0 + ((i1 - i0) & ~3);
  let i = i0;
  for (; i < end4; i += 4) {
    const o = <usize>i * 4;
    const pv = v128.load(p + o);
    const gv = v128.load(g + o);
    const m1 = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gv, vob1));
    const x = f32x4.mul(v128.load(v + o), vb2);
    const y = f32x4.add(f32x4.abs(gv), veps);
    // x where x >= y or x is NaN, else y (f32x4.max would differ on ±0 and NaN payloads).
    const v1 = v128.bitselect(x, y, v128.or(f32x4.ge(x, y), f32x4.ne(x, x)));
    v128.store(pOut + o, f32x4.add(pv, f32x4.mul(f32x4.div(m1, f32x4.mul(v1, vc1)), vrate)));
    v128.store(mOut + o, m1);
    v128.store(vOut + o, v1);
  }
  for (; i < i1; i++) {
    const o = <usize>i * 4;
    const gv = load<f32>(g + o);
    const m1 = load<f32>(m + o) * b1 + gv * ob1;
    const x = load<f32>(v + o) * b2;
    const y = Mathf.abs(gv) + eps;
    const v1 = x >= y || x != x ? x : y;
    store<f32>(pOut + o, load<f32>(p + o) + (m1 / (v1 * c1)) * rate);
    store<f32>(mOut + o, m1);
    store<f32>(vOut + o, v1);
  }
}

/**
 * Elements i0..i1 of one Adam step (Adamax's when `adamax` ≠ 0, see `adamaxStep`) over flat arrays (byte offsets p, g, m, v in; pOut, mOut,
 * vOut out; outputs never alias inputs):
 *
 *   g ← g + λp (L2),  m' = β₁m + (1 − β₁)g,  v' = β₂v + (1 − β₂)g²,
 *   u = (m'/c1) / (√(v'/c2 [+ epsRoot]) + eps),  u ← u + λp (decoupled),  p' = p + rate·u
 *
 * `ob1` = 1 − β₁ and `ob2` = 1 − β₂ rounded to f32 (as the composed path's constants are),
 * `rate` = −lr. `root` says whether epsRoot is added (the composed path skips a zero epsRoot).
 */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, pOut: usize, mOut: usize, vOut: usize, adamax: i32,
  b1: f32, ob1: f32, b2: f32, ob2: f32, eps: f32, epsRoot: f32, wd: f32, decay: i32, root: i32,
  c1: f32, c2: f32, rate: f32, i0: i32, i1: i32,
): void {
  if (adamax != 0) {
    adamaxStep(p, g, m, v, pOut, mOut, vOut, b1, ob1, b2, eps, c1, rate, i0, i1);
    return;
  }
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
