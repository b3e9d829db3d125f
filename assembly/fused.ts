// The fused-elementwise interpreter: runs a fused group of the jit compiler
// (src/backend/compile/plan.ts) as a small register program over blocks of BLOCK floats, so
// that each operand is read from memory once and each materialised value written once per
// chain, with every operation a SIMD loop over the block.
//
// A program is `len` instructions of INSTR_WORDS i32 words each: [op, dst, a, b, c, d].
// Registers are BLOCK-float scratch areas at regs + r·BLOCK·4. Pointers are byte offsets.
// The opcode numbers are src/backend/wasm/fused_program.ts's OPCODES (tests run every one).
//
// Exact operations (the arithmetic of the evaluation rules, rounded once to f32): the loads and
// stores, neg, abs, sqrt, sign, add, sub, mul, div, maximum, minimum, compare, where and the
// leaky ReLU pair (in f64, as the rule's double factor is). Approximate ones (f32 polynomials,
// accuracy measured against Math.* in test/backend/wasm/fused.test.ts): exp, log, log1p, tanh,
// sigmoid, softplus.

/** Floats per block: a program's registers (2 KiB each) stay in L1 and the interpretation cost spreads over 128 vectors. */
const BLOCK: i32 = 512;
const INSTR_WORDS: i32 = 6;

const OP_LOAD_FULL: i32 = 0; // dst, ptr: r = x[i]
const OP_LOAD_SCALAR: i32 = 1; // dst, ptr: r = x[0]
const OP_LOAD_BLOCKED: i32 = 2; // dst, ptr, inner, mid: r = x[⌊i / inner⌋ mod mid]
const OP_STORE: i32 = 3; // src, ptr: y[i] = r
const OP_SUM: i32 = 4; // accPtr (f64), src, inner, mid: acc[⌊i / inner⌋ mod mid] += r, in order
const OP_NEG: i32 = 5;
const OP_ABS: i32 = 6;
const OP_SQRT: i32 = 7;
const OP_SIGN: i32 = 8;
const OP_COPY: i32 = 9;
const OP_EXP: i32 = 10;
const OP_LOG: i32 = 11;
const OP_LOG1P: i32 = 12;
const OP_TANH: i32 = 13;
const OP_SIGMOID: i32 = 14;
const OP_SOFTPLUS: i32 = 15;
const OP_ADD: i32 = 16;
const OP_SUB: i32 = 17;
const OP_MUL: i32 = 18;
const OP_DIV: i32 = 19;
const OP_MAX: i32 = 20;
const OP_MIN: i32 = 21;
const OP_GT: i32 = 22;
const OP_GE: i32 = 23;
const OP_LT: i32 = 24;
const OP_LE: i32 = 25;
const OP_EQ: i32 = 26;
const OP_NE: i32 = 27;
const OP_WHERE: i32 = 28; // dst, cond, a, b: cond ≠ 0 ? a : b
const OP_LEAKY: i32 = 29; // dst, x, lo, hi: x·F where x ≤ 0 (F the f64 with bits hi:lo), else x
const OP_LEAKY_GRAD: i32 = 30; // dst, x, g, lo, hi: g·F where x ≤ 0, else g

// ---------------------------------------------------------------------------------------------
// f32x4 transcendentals (Cephes-style range reduction and minimax polynomials)

// @ts-ignore: decorator
@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/** eˣ: x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2ⁿ applied in two halves (so subnormal and overflowing results come out right). */
// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  const xc = f32x4.min(f32x4.max(x, splat(-104.0)), splat(89.0));
  const n = f32x4.nearest(f32x4.mul(xc, splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), f32x4.add(r, splat(1.0)));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  const y = f32x4.mul(f32x4.mul(p, s1), s2);
  // NaN in, NaN out (the clamp kept it; trunc_sat turned n into 0, so y is p = NaN already).
  return y;
}

/** ln x: x = m·2ᵉ with m in [√½, √2), ln m by a degree-9 polynomial in m − 1; subnormals scaled first; ln 0 = −∞, ln(x < 0) = NaN, ln ∞ = ∞. */
// @ts-ignore: decorator
@inline function log4(x: v128): v128 {
  const tiny = f32x4.lt(x, splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, splat(8388608.0)), x, tiny); // × 2²³
  const bits = xs;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(127));
  e = v128.bitselect(i32x4.sub(e, i32x4.splat(23)), e, tiny);
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000)); // [1, 2)
  const big = f32x4.gt(m, splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, splat(0.5)), m, big);
  e = v128.bitselect(i32x4.add(e, i32x4.splat(1)), e, big);
  const f = f32x4.sub(m, splat(1.0));
  const z = f32x4.mul(f, f);
  let p = splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, f), splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(3.3333331174e-1));
  p = f32x4.mul(f32x4.mul(p, f), z);
  const ef = f32x4.convert_i32x4_s(e);
  p = f32x4.add(p, f32x4.mul(ef, splat(-2.12194440e-4)));
  p = f32x4.sub(p, f32x4.mul(z, splat(0.5)));
  let y = f32x4.add(f32x4.add(f, p), f32x4.mul(ef, splat(0.693359375)));
  y = v128.bitselect(splat(-Infinity), y, f32x4.eq(x, splat(0)));
  y = v128.bitselect(x, y, f32x4.eq(x, splat(Infinity)));
  y = v128.bitselect(splat(NaN), y, v128.or(f32x4.lt(x, splat(0)), f32x4.ne(x, x)));
  return y;
}

/** ln(1 + u) = ln w · u / (w − 1) with w = 1 + u rounded (exact where w = 1: u); ln(1 + ∞) = ∞. */
// @ts-ignore: decorator
@inline function log1p4(u: v128): v128 {
  const w = f32x4.add(u, splat(1.0));
  const d = f32x4.sub(w, splat(1.0));
  let y = f32x4.mul(log4(w), f32x4.div(u, d));
  y = v128.bitselect(u, y, f32x4.eq(d, splat(0)));
  y = v128.bitselect(u, y, f32x4.eq(u, splat(Infinity)));
  y = v128.bitselect(log4(w), y, f32x4.eq(w, splat(0)));
  return y;
}

/** tanh x: x + x³·P(x²) for |x| < 0.625, else sign(x)·(1 − 2 / (e^{2|x|} + 1)). */
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  // (at ±0 the sum would lose the sign of −0: zero lanes return x itself)
  const small = v128.bitselect(x, f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x)), f32x4.eq(x, splat(0)));
  const e = exp4(f32x4.add(ax, ax));
  const large = f32x4.sub(splat(1.0), f32x4.div(splat(2.0), f32x4.add(e, splat(1.0))));
  const signed = v128.or(large, v128.and(x, i32x4.splat(0x80000000)));
  // NaN: ax < 0.625 is false, so `signed` is taken: 1 − 2/(NaN + 1) = NaN.
  return v128.bitselect(small, signed, f32x4.lt(ax, splat(0.625)));
}

/** σ(x) = 1 / (1 + e^{−x}) for x ≥ 0, e^{x} / (1 + e^{x}) otherwise (the rule's two branches). */
// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  const e = exp4(f32x4.neg(f32x4.abs(x)));
  const d = f32x4.add(splat(1.0), e);
  return v128.bitselect(f32x4.div(splat(1.0), d), f32x4.div(e, d), f32x4.ge(x, splat(0)));
}

/** softplus x = max(x, 0) + ln(1 + e^{−|x|}). */
// @ts-ignore: decorator
@inline function softplus4(x: v128): v128 {
  return f32x4.add(f32x4.max(x, splat(0)), log1p4(exp4(f32x4.neg(f32x4.abs(x)))));
}

/** x·F in f64 (as the rule computes x times its double factor), rounded to f32. */
// @ts-ignore: decorator
@inline function mulF64(x: v128, f: v128): v128 {
  const lo = f64x2.mul(f64x2.promote_low_f32x4(x), f);
  const hi = f64x2.mul(f64x2.promote_low_f32x4(f32x4.shuffle(x, x, 2, 3, 0, 1)), f);
  return f32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// ---------------------------------------------------------------------------------------------
// The interpreter

/** Fills `n` floats at d with v (d 16-byte aligned or not: unaligned v128 stores are allowed). */
// @ts-ignore: decorator
@inline function fill4(d: usize, v: f32, n: i32): void {
  const s = f32x4.splat(v);
  let u = 0;
  for (; u + 4 <= n; u += 4) v128.store(d + <usize>u * 4, s);
  for (; u < n; u++) store<f32>(d + <usize>u * 4, v);
}

/** acc[j] += x[j] (f64 += f32 widened) for j < n: one addition per accumulator, two lanes at a time. */
// @ts-ignore: decorator
@inline function addRunF64(acc: usize, x: usize, n: i32): void {
  let u = 0;
  for (; u + 4 <= n; u += 4) {
    const v = v128.load(x + <usize>u * 4);
    const a = acc + <usize>u * 8;
    v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
    v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
  }
  for (; u < n; u++) {
    const a = acc + <usize>u * 8;
    store<f64>(a, load<f64>(a) + <f64>load<f32>(x + <usize>u * 4));
  }
}

// @ts-ignore: decorator
@inline function reg(regs: usize, r: i32): usize {
  return regs + <usize>(r * BLOCK) * 4;
}

/**
 * Runs program `prog` (`len` instructions) over elements start + r·period .. end + r·period for
 * r = 0..reps − 1, in that order, registers at `regs` (registers × BLOCK floats). Every
 * element's result depends only on its index, so disjoint element sets may run on different
 * threads (each with its own registers); a sum adds its elements in increasing index, so a
 * thread must own all the elements of each accumulator it touches (the periodic ranges: one run
 * of channels of every image).
 */
export function fusedRun(prog: usize, len: i32, start: i32, end: i32, period: i32, reps: i32, regs: usize): void {
  for (let r = 0; r < reps; r++) runRange(prog, len, start + r * period, end + r * period, regs);
}

/** One range of `fusedRun`, BLOCK at a time. Per block, each instruction runs over ⌈cnt/4⌉ vectors (register lanes past cnt hold garbage that no store or sum reads). */
function runRange(prog: usize, len: i32, start: i32, end: i32, regs: usize): void {
  for (let i0 = start; i0 < end; i0 += BLOCK) {
    const cnt = min(BLOCK, end - i0);
    const cnt4 = cnt & ~3;
    const bytes = <usize>((cnt + 3) & ~3) * 4;
    for (let k = 0; k < len; k++) {
      const ins = prog + <usize>(k * INSTR_WORDS) * 4;
      const op = load<i32>(ins);
      const d = reg(regs, load<i32>(ins, 4));
      const wa = load<i32>(ins, 8);
      const wb = load<i32>(ins, 12);
      const wc = load<i32>(ins, 16);
      const wd = load<i32>(ins, 20);
      switch (op) {
        case OP_LOAD_FULL: {
          const src = <usize>wa + <usize>i0 * 4;
          let t = 0;
          for (; t < cnt4; t += 4) v128.store(d + <usize>t * 4, v128.load(src + <usize>t * 4));
          for (; t < cnt; t++) store<f32>(d + <usize>t * 4, load<f32>(src + <usize>t * 4));
          break;
        }
        case OP_LOAD_SCALAR: {
          const v = v128.load32_splat(<usize>wa);
          for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v);
          break;
        }
        case OP_LOAD_BLOCKED: {
          // Runs: with inner = 1 a row of x repeats (copied a run at a time), otherwise each x[q] fills `inner` consecutive lanes.
          const inner = wb, mid = wc;
          const block = i0 / inner;
          let c = i0 - block * inner;
          let q = block % mid;
          const src = <usize>wa;
          let t = 0;
          if (inner == 1) {
            while (t < cnt) {
              const run = min(cnt - t, mid - q);
              memory.copy(d + <usize>t * 4, src + <usize>q * 4, <usize>run * 4);
              t += run;
              q = 0;
            }
          } else {
            while (t < cnt) {
              const run = min(cnt - t, inner - c);
              const v = load<f32>(src + <usize>q * 4);
              fill4(d + <usize>t * 4, v, run);
              t += run;
              c = 0;
              if (++q == mid) q = 0;
            }
          }
          break;
        }
        case OP_STORE: {
          const dst = <usize>wa + <usize>i0 * 4;
          let t = 0;
          for (; t < cnt4; t += 4) {
            v128.store(dst + <usize>t * 4, v128.load(d + <usize>t * 4));
          }
          for (; t < cnt; t++) store<f32>(dst + <usize>t * 4, load<f32>(d + <usize>t * 4));
          break;
        }
        case OP_SUM: {
          // d is the source register here; wa the f64 accumulators. Each accumulator adds its
          // elements one at a time in increasing i (the rule's order), so runs may be vectorised
          // across accumulators (inner = 1) but not within one (inner > 1, mid = 1).
          const acc = <usize>wa, inner = wb, mid = wc;
          const block = i0 / inner;
          let c = i0 - block * inner;
          let q = block % mid;
          let t = 0;
          if (inner == 1) {
            while (t < cnt) {
              const run = min(cnt - t, mid - q);
              addRunF64(acc + <usize>q * 8, d + <usize>t * 4, run);
              t += run;
              q = 0;
            }
          } else {
            while (t < cnt) {
              const run = min(cnt - t, inner - c);
              const p = acc + <usize>q * 8;
              let sum = load<f64>(p);
              const x = d + <usize>t * 4;
              for (let u = 0; u < run; u++) sum += <f64>load<f32>(x + <usize>u * 4);
              store<f64>(p, sum);
              t += run;
              c = 0;
              if (++q == mid) q = 0;
            }
          }
          break;
        }
        case OP_LEAKY:
        case OP_LEAKY_GRAD: {
          const x = reg(regs, wa);
          const g = op == OP_LEAKY ? x : reg(regs, wb);
          const f = f64x2.splat(reinterpret<f64>((<i64>(op == OP_LEAKY ? wc : wd) << 32) | <i64>(<u32>(op == OP_LEAKY ? wb : wc))));
          for (let t: usize = 0; t < bytes; t += 16) {
            const xv = v128.load(x + t);
            const gv = v128.load(g + t);
            v128.store(d + t, v128.bitselect(mulF64(gv, f), gv, f32x4.le(xv, splat(0))));
          }
          break;
        }
        case OP_WHERE: {
          const c = reg(regs, wa), a = reg(regs, wb), b = reg(regs, wc);
          for (let t: usize = 0; t < bytes; t += 16) {
            v128.store(d + t, v128.bitselect(v128.load(b + t), v128.load(a + t), f32x4.eq(v128.load(c + t), splat(0))));
          }
          break;
        }
        default: {
          const a = reg(regs, wa);
          if (op < OP_ADD) unary(op, d, a, bytes);
          else binary(op, d, a, reg(regs, wb), bytes);
        }
      }
    }
  }
}

function unary(op: i32, d: usize, a: usize, bytes: usize): void {
  switch (op) {
    case OP_NEG:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.neg(v128.load(a + t)));
      break;
    case OP_ABS:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.abs(v128.load(a + t)));
      break;
    case OP_SQRT:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.sqrt(v128.load(a + t)));
      break;
    case OP_SIGN:
      for (let t: usize = 0; t < bytes; t += 16) {
        const x = v128.load(a + t);
        const s = v128.bitselect(splat(1), v128.bitselect(splat(-1), x, f32x4.lt(x, splat(0))), f32x4.gt(x, splat(0)));
        v128.store(d + t, s);
      }
      break;
    case OP_COPY:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.load(a + t));
      break;
    case OP_EXP:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, exp4(v128.load(a + t)));
      break;
    case OP_LOG:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, log4(v128.load(a + t)));
      break;
    case OP_LOG1P:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, log1p4(v128.load(a + t)));
      break;
    case OP_TANH:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, tanh4(v128.load(a + t)));
      break;
    case OP_SIGMOID:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, sigmoid4(v128.load(a + t)));
      break;
    case OP_SOFTPLUS:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, softplus4(v128.load(a + t)));
      break;
    default:
      unreachable();
  }
}

const ONE = f32x4.splat(1);

function binary(op: i32, d: usize, a: usize, b: usize, bytes: usize): void {
  switch (op) {
    case OP_ADD:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.add(v128.load(a + t), v128.load(b + t)));
      break;
    case OP_SUB:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.sub(v128.load(a + t), v128.load(b + t)));
      break;
    case OP_MUL:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.mul(v128.load(a + t), v128.load(b + t)));
      break;
    case OP_DIV:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, f32x4.div(v128.load(a + t), v128.load(b + t)));
      break;
    case OP_MAX:
      // a where a ≥ b or a is NaN, else b (the rule's choice, which fixes the sign of a zero).
      for (let t: usize = 0; t < bytes; t += 16) {
        const x = v128.load(a + t), y = v128.load(b + t);
        v128.store(d + t, v128.bitselect(x, y, v128.or(f32x4.ge(x, y), f32x4.ne(x, x))));
      }
      break;
    case OP_MIN:
      for (let t: usize = 0; t < bytes; t += 16) {
        const x = v128.load(a + t), y = v128.load(b + t);
        v128.store(d + t, v128.bitselect(x, y, v128.or(f32x4.le(x, y), f32x4.ne(x, x))));
      }
      break;
    case OP_GT:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.gt(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    case OP_GE:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.ge(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    case OP_LT:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.lt(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    case OP_LE:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.le(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    case OP_EQ:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.eq(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    case OP_NE:
      for (let t: usize = 0; t < bytes; t += 16) v128.store(d + t, v128.and(f32x4.ne(v128.load(a + t), v128.load(b + t)), ONE));
      break;
    default:
      unreachable();
  }
}
