// puregan SIMD kernels (AssemblyScript, --runtime stub, imported memory).
//
// Built four times (asconfig.json): `simd` (f32x4 mul + add) and `relaxed` (f32x4.relaxed_madd),
// both with the same 4×8 micro-kernel, and a `-threads` variant of each on a shared memory.
// Nothing here allocates: every pointer is a byte
// offset into linear memory chosen by the JS side (src/backend/wasm/), which owns the arena
// and grows memory before calling. All matrices are f32, row-major.
//
// Strided/segmented views let the conv kernels use the GEMM without copies: a "segmented"
// dimension of length L is split into runs of `segLen` contiguous elements, consecutive runs
// `segStride` elements apart. With x `[N, C, H·W]` this addresses the (image, pixel) axis of a
// batch as one GEMM dimension.

// ---------------------------------------------------------------------------------------------
// Micro-kernel

/**
 * Rows of the register tile. 4×8 (8 accumulators) for both builds: a 6×8 FMA tile (12
 * accumulators + 2 B vectors + 1 splat = 15 of x64's 16 XMM registers) spills in V8 11.3 and
 * measured far slower (README, "The wasm backend"). So does a 5×8 tile: TurboFan hoists the
 * five A splats of an iteration above its FMAs, so 10 accumulators + 2 B vectors + 5 splats
 * need 17 registers, two accumulators live on the stack and the GEMMs ran at half speed.
 */
const MR: i32 = 4;
/** Columns of the register tile (two f32x4). */
const NR: i32 = 8;
/** Cache blocking: K block (a packed B micro-panel of KC·8 floats stays in L1). */
const KC: i32 = 256;
/** M block: a packed A block of MC·KC floats stays in L2. A multiple of MR. */
const MC: i32 = 96;
/**
 * GEMMs with at most this many rows of C and this depth read B in place instead of packing it
 * (see gemm): faster for the small-M GEMMs of the one-channel convs, slower for deep K, where
 * each panel reads many strided rows (measurements in the README, "The wasm backend").
 */
const DIRECT_MAX_M: i32 = 64;
const DIRECT_MAX_K: i32 = 128;
/** GEMMs with at most this many columns of C read A in place (faster for narrow C; README). */
const DIRECT_MAX_N: i32 = 16;
/** N block: the packed B block of KC·NC floats. */
const NC: i32 = 1536;

/** Bytes of scratch the kernels need (packed A, packed B, an edge tile, column offsets). */
const SCRATCH_BYTES: i32 = (MC * KC + KC * NC + 8 * NR + 2 * NC) * 4 + 256;

/** Bytes of scratch `gemm` needs at its `scratch` pointer. */
export function scratchBytes(): i32 {
  return SCRATCH_BYTES;
}

/** The first byte of linear memory not used by static data; the JS arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** Rows of this build's register tile (threads split a GEMM's rows in blocks of this many). */
export function microRows(): i32 {
  return MR;
}

/** Columns of this build's register tile (threads split a GEMM's columns in blocks of this many). */
export function microCols(): i32 {
  return NR;
}

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Writes (or with `add` adds) a 4×8 tile held in eight f32x4 to C at c, rows ldcB bytes apart. */
// @ts-ignore: decorator
@inline function storeTile4x8(
  c: usize, ldcB: usize, add: bool,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  if (add) {
    c00 = f32x4.add(c00, v128.load(c));
    c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldcB));
    c11 = f32x4.add(c11, v128.load(c + ldcB, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldcB));
    c21 = f32x4.add(c21, v128.load(c + 2 * ldcB, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldcB));
    c31 = f32x4.add(c31, v128.load(c + 3 * ldcB, 16));
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldcB, c10);
  v128.store(c + ldcB, c11, 16);
  v128.store(c + 2 * ldcB, c20);
  v128.store(c + 2 * ldcB, c21, 16);
  v128.store(c + 3 * ldcB, c30);
  v128.store(c + 3 * ldcB, c31, 16);
}

/**
 * C[4×8] (+)= Apanel[kc×4]ᵀ · Bpanel[kc×8]. pa/pb are packed panels, c a pointer into C with
 * row stride ldcB bytes. When `add` the tile is added to C, otherwise it overwrites it.
 * Inlined into the GEMM loop (V8 11.3 does not inline wasm calls): with K = 16, as in the
 * 1→64 conv, the call was a sizeable part of the GEMM's time (README, "The wasm backend").
 */
// @ts-ignore: decorator
@inline function micro4x8(kc: i32, pa: usize, pb: usize, pbStride: usize, c: usize, ldcB: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += pbStride;
  }
  storeTile4x8(c, ldcB, add, c00, c01, c10, c11, c20, c21, c30, c31);
}

/**
 * micro4x8 with A read in place: four rows of A, `ldaB` bytes apart, K contiguous within each.
 * A separate copy rather than a row-stride parameter of micro4x8: the extra address arithmetic
 * slowed every packed GEMM of the SIMD build (README, "The wasm backend").
 */
// @ts-ignore: decorator
@inline function microRowsA(
  kc: i32, aRow: usize, ldaB: usize, p0: i32, segLen: i32, segStride: i32,
  pb: usize, pbStride: usize, c: usize, ldcB: usize, add: bool,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // K runs through segments of A: walk them run by run, keeping the accumulators, so the sums
  // come out in the same order as from a packed panel (threads split C by columns, and a
  // thread's slice may take this path where the whole product did not: results must match).
  let s = (p0 / segLen) * segStride;
  let w = p0 % segLen;
  for (let p = 0; p < kc; ) {
    const run = min(kc - p, segLen - w);
    let pa = aRow + <usize>(s + w) * 4;
    let pa1 = pa + ldaB, pa2 = pa + 2 * ldaB, pa3 = pa + 3 * ldaB;
    for (let q = 0; q < run; q++) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let a = v128.load32_splat(pa);
      c00 = madd(a, b0, c00);
      c01 = madd(a, b1, c01);
      a = v128.load32_splat(pa1);
      c10 = madd(a, b0, c10);
      c11 = madd(a, b1, c11);
      a = v128.load32_splat(pa2);
      c20 = madd(a, b0, c20);
      c21 = madd(a, b1, c21);
      a = v128.load32_splat(pa3);
      c30 = madd(a, b0, c30);
      c31 = madd(a, b1, c31);
      pa += 4;
      pa1 += 4;
      pa2 += 4;
      pa3 += 4;
      pb += pbStride;
    }
    p += run;
    w = 0;
    s += segStride;
  }
  storeTile4x8(c, ldcB, add, c00, c01, c10, c11, c20, c21, c30, c31);
}

// @ts-ignore: decorator
@inline function micro(kc: i32, pa: usize, pb: usize, pbStride: usize, c: usize, ldcB: usize, add: bool): void {
  micro4x8(kc, pa, pb, pbStride, c, ldcB, add);
}

// ---------------------------------------------------------------------------------------------
// Packing

// @ts-ignore: decorator
@inline function segOffset(j: i32, segLen: i32, segStride: i32): i32 {
  return (j / segLen) * segStride + (j % segLen);
}

/**
 * Transposes the 4×4 block whose rows start at r0..r3 (byte pointers) and stores its columns
 * as four consecutive v128 at dst, dst + stride, dst + 2·stride, dst + 3·stride.
 */
// @ts-ignore: decorator
@inline function transpose4(r0: usize, r1: usize, r2: usize, r3: usize, dst: usize, stride: usize): void {
  const a = v128.load(r0), b = v128.load(r1), c = v128.load(r2), d = v128.load(r3);
  const ab01 = f32x4.shuffle(a, b, 0, 4, 1, 5);
  const ab23 = f32x4.shuffle(a, b, 2, 6, 3, 7);
  const cd01 = f32x4.shuffle(c, d, 0, 4, 1, 5);
  const cd23 = f32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, f32x4.shuffle(ab01, cd01, 0, 1, 4, 5));
  v128.store(dst + stride, f32x4.shuffle(ab01, cd01, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, f32x4.shuffle(ab23, cd23, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, f32x4.shuffle(ab23, cd23, 2, 3, 6, 7));
}

/**
 * Packs rows i0..i0+mc, columns p0..p0+kc of op(A) into MR-row panels (p-major inside a panel),
 * zero-padding the last panel. A(i, p) = a[i·lda + seg(p)] or, when `trans`, a[p·lda + i].
 */
function packA(
  a: usize, lda: i32, trans: bool, segLen: i32, segStride: i32,
  m: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const panel = dst + <usize>(ir * kc) * 4;
    const rows = min(MR, mc - ir);
    if (trans && rows == MR) {
      // Full panel: the MR rows of a k-value are contiguous in Aᵀ, one v128 each.
      const src0 = a + <usize>(p0 * lda + i0 + ir) * 4;
      const ldaB = <usize>lda * 4;
      for (let p = 0; p < kc; p++) v128.store(panel + <usize>(p * MR) * 4, v128.load(src0 + <usize>p * ldaB));
    } else if (trans) {
      for (let p = 0; p < kc; p++) {
        const src = a + <usize>((p0 + p) * lda + i0 + ir) * 4;
        const out = panel + <usize>(p * MR) * 4;
        for (let r = 0; r < MR; r++) {
          store<f32>(out + <usize>r * 4, r < rows ? load<f32>(src + <usize>r * 4) : 0);
        }
      }
    } else if (rows == MR) {
      // Full panel: 4×4 SIMD transposes over runs of 4 k-values inside one segment.
      const l0 = a + <usize>((i0 + ir) * lda) * 4;
      const ldaB = <usize>lda * 4;
      let s = (p0 / segLen) * segStride;
      let w = p0 % segLen;
      let p = 0;
      while (p < kc) {
        const out = panel + <usize>(p * MR) * 4;
        if (p + 4 <= kc && w + 4 <= segLen) {
          const src = l0 + <usize>(s + w) * 4;
          transpose4(src, src + ldaB, src + 2 * ldaB, src + 3 * ldaB, out, 16);
          p += 4;
          w += 4;
        } else {
          const src = l0 + <usize>(s + w) * 4;
          for (let r = 0; r < MR; r++) store<f32>(out + <usize>r * 4, load<f32>(src + <usize>r * ldaB));
          p++;
          w++;
        }
        if (w == segLen) {
          w = 0;
          s += segStride;
        }
      }
    } else {
      for (let r = 0; r < MR; r++) {
        const out = panel + <usize>r * 4;
        if (r >= rows) {
          for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * MR) * 4, 0);
          continue;
        }
        const row = a + <usize>((i0 + ir + r) * lda) * 4;
        if (segLen >= p0 + kc) {
          const src = row + <usize>p0 * 4;
          for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * MR) * 4, load<f32>(src + <usize>p * 4));
        } else {
          let s = (p0 / segLen) * segStride;
          let w = p0 % segLen;
          for (let p = 0; p < kc; p++) {
            store<f32>(out + <usize>(p * MR) * 4, load<f32>(row + <usize>(s + w) * 4));
            if (++w == segLen) {
              w = 0;
              s += segStride;
            }
          }
        }
      }
    }
  }
}

/**
 * Packs rows p0..p0+kc, columns j0..j0+nc of op(B) into 8-column panels (p-major inside a
 * panel), zero-padding the last panel. B(p, j) = b[p·ldb + seg(j)] or, when `trans`,
 * b[j·ldb + p]. `offs` is scratch for nc column offsets.
 */
function packB(
  b: usize, ldb: i32, trans: bool, segLen: i32, segStride: i32,
  n: i32, j0: i32, nc: i32, p0: i32, kc: i32, dst: usize, offs: usize,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const panel = dst + <usize>(jr * kc) * 4;
    const cols = min(NR, nc - jr);
    const j = j0 + jr;
    if (trans && cols == NR) {
      // Full panel: two 4×4 SIMD transposes per 4 k-values.
      const c0 = b + <usize>(j * ldb + p0) * 4;
      const ldbB = <usize>ldb * 4;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const src = c0 + <usize>p * 4;
        const out = panel + <usize>(p * NR) * 4;
        transpose4(src, src + ldbB, src + 2 * ldbB, src + 3 * ldbB, out, 32);
        const src4 = src + 4 * ldbB;
        transpose4(src4, src4 + ldbB, src4 + 2 * ldbB, src4 + 3 * ldbB, out + 16, 32);
      }
      for (; p < kc; p++) {
        const out = panel + <usize>(p * NR) * 4;
        for (let cc = 0; cc < NR; cc++) store<f32>(out + <usize>cc * 4, load<f32>(c0 + <usize>(cc * ldb + p) * 4));
      }
    } else if (trans) {
      for (let cc = 0; cc < NR; cc++) {
        const out = panel + <usize>cc * 4;
        if (cc >= cols) {
          for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * NR) * 4, 0);
          continue;
        }
        const src = b + <usize>((j + cc) * ldb + p0) * 4;
        for (let p = 0; p < kc; p++) store<f32>(out + <usize>(p * NR) * 4, load<f32>(src + <usize>p * 4));
      }
    } else if (cols == NR && (j % segLen) + NR <= segLen) {
      const src = b + <usize>(p0 * ldb + segOffset(j, segLen, segStride)) * 4;
      const ldbB = <usize>ldb * 4;
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * ldbB;
        const out = panel + <usize>(p * NR) * 4;
        v128.store(out, v128.load(s));
        v128.store(out, v128.load(s, 16), 16);
      }
    } else {
      for (let cc = 0; cc < cols; cc++) store<i32>(offs + <usize>cc * 4, segOffset(j + cc, segLen, segStride));
      for (let p = 0; p < kc; p++) {
        const row = b + <usize>((p0 + p) * ldb) * 4;
        const out = panel + <usize>(p * NR) * 4;
        for (let cc = 0; cc < NR; cc++) {
          store<f32>(out + <usize>cc * 4, cc < cols ? load<f32>(row + <usize>load<i32>(offs + <usize>cc * 4) * 4) : 0);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM

/**
 * Writes (or with `add` adds) the rows × cols corner of a 4×8 result tile to C, for tiles on an
 * edge of C or straddling a segment of its columns.
 */
// @ts-ignore: decorator
@inline function storeTile(
  tile: usize, rows: i32, cols: i32, c: usize, cj: usize, contiguous: bool, within: i32, j: i32, i: i32,
  ldcB: usize, cSegLen: i32, cSegStride: i32, add: bool,
): void {
  for (let cc = 0; cc < cols; cc++) {
    const col = contiguous ? within + cc : segOffset(j + cc, cSegLen, cSegStride);
    const base = contiguous ? cj + <usize>cc * 4 : c + <usize>col * 4;
    for (let r = 0; r < rows; r++) {
      const dst = base + <usize>(i + r) * ldcB;
      const t = load<f32>(tile + <usize>(r * NR + cc) * 4);
      store<f32>(dst, add ? load<f32>(dst) + t : t);
    }
  }
}

/**
 * GEMMs with at most this many columns of C (a layer with one or two outputs, or its weight
 * gradient) take `gemmNarrow`: a 4×8 register tile would compute 8 columns to keep one or two.
 */
const NARROW_MAX_N: i32 = 2;

/** a·b + c as one lane of `madd`, so scalar tails round exactly as the vector lanes do. */
// @ts-ignore: decorator
@inline function madd1(a: f32, b: f32, c: f32): f32 {
  return f32x4.extract_lane(madd(f32x4.splat(a), f32x4.splat(b), f32x4.splat(c)), 0);
}

/** (v₀ + v₁) + (v₂ + v₃). */
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** C(i, ·) = s, or C(i, ·) += s when `add`, at column pointer `col` (rows ldcB bytes apart). */
// @ts-ignore: decorator
@inline function putC(col: usize, ldcB: usize, i: i32, s: f32, add: bool): void {
  const dst = col + <usize>i * ldcB;
  store<f32>(dst, add ? load<f32>(dst) + s : s);
}

/**
 * C (+)= op(A)·op(B) one column of C at a time, for C with at most NARROW_MAX_N columns
 * (arguments as `gemm`'s, A unsegmented along K). Column j of op(B) is first copied to
 * `bcol` (k floats), then
 *   A rows contiguous (aTrans = 0):  C(i, j) = Σ_p A(i, p)·b_p as four lane sums over p ≡ 0..3
 *                                     (mod 4), added (l₀ + l₁) + (l₂ + l₃), then the k mod 4 tail;
 *   A transposed (aTrans = 1):       C(i, j) = Σ_p A(i, p)·b_p in order of p, rows i in lanes.
 * Each element's summation order depends only on k, so row blocks split across threads give
 * the same bits.
 */
function gemmNarrow(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, aTrans: i32,
  b: usize, ldb: i32, bTrans: i32, bSegLen: i32, bSegStride: i32,
  c: usize, ldc: i32, cSegLen: i32, cSegStride: i32,
  accumulate: i32, bcol: usize,
): void {
  const add = accumulate != 0;
  const ldaB = <usize>lda * 4, ldcB = <usize>ldc * 4;
  const k4 = k & ~3;
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) {
      const off = bTrans != 0 ? j * ldb + p : p * ldb + segOffset(j, bSegLen, bSegStride);
      store<f32>(bcol + <usize>p * 4, load<f32>(b + <usize>off * 4));
    }
    const col = c + <usize>segOffset(j, cSegLen, cSegStride) * 4;
    if (aTrans == 0) {
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const r0 = a + <usize>i * ldaB, r1 = r0 + ldaB, r2 = r1 + ldaB, r3 = r2 + ldaB;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        for (let p = 0; p < k4; p += 4) {
          const o = <usize>p * 4;
          const bv = v128.load(bcol + o);
          s0 = madd(v128.load(r0 + o), bv, s0);
          s1 = madd(v128.load(r1 + o), bv, s1);
          s2 = madd(v128.load(r2 + o), bv, s2);
          s3 = madd(v128.load(r3 + o), bv, s3);
        }
        let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
        for (let p = k4; p < k; p++) {
          const o = <usize>p * 4;
          const bp = load<f32>(bcol + o);
          t0 = madd1(load<f32>(r0 + o), bp, t0);
          t1 = madd1(load<f32>(r1 + o), bp, t1);
          t2 = madd1(load<f32>(r2 + o), bp, t2);
          t3 = madd1(load<f32>(r3 + o), bp, t3);
        }
        putC(col, ldcB, i, t0, add);
        putC(col, ldcB, i + 1, t1, add);
        putC(col, ldcB, i + 2, t2, add);
        putC(col, ldcB, i + 3, t3, add);
      }
      for (; i < m; i++) {
        const r0 = a + <usize>i * ldaB;
        let s0 = f32x4.splat(0);
        for (let p = 0; p < k4; p += 4) s0 = madd(v128.load(r0 + <usize>p * 4), v128.load(bcol + <usize>p * 4), s0);
        let t0 = hsum(s0);
        for (let p = k4; p < k; p++) t0 = madd1(load<f32>(r0 + <usize>p * 4), load<f32>(bcol + <usize>p * 4), t0);
        putC(col, ldcB, i, t0, add);
      }
    } else {
      let i = 0;
      for (; i + 16 <= m; i += 16) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let src = a + <usize>i * 4;
        for (let p = 0; p < k; p++) {
          const bv = v128.load32_splat(bcol + <usize>p * 4);
          s0 = madd(v128.load(src), bv, s0);
          s1 = madd(v128.load(src, 16), bv, s1);
          s2 = madd(v128.load(src, 32), bv, s2);
          s3 = madd(v128.load(src, 48), bv, s3);
          src += ldaB;
        }
        putLanes(col, ldcB, i, s0, add);
        putLanes(col, ldcB, i + 4, s1, add);
        putLanes(col, ldcB, i + 8, s2, add);
        putLanes(col, ldcB, i + 12, s3, add);
      }
      for (; i + 4 <= m; i += 4) {
        let s0 = f32x4.splat(0);
        let src = a + <usize>i * 4;
        for (let p = 0; p < k; p++) {
          s0 = madd(v128.load(src), v128.load32_splat(bcol + <usize>p * 4), s0);
          src += ldaB;
        }
        putLanes(col, ldcB, i, s0, add);
      }
      for (; i < m; i++) {
        let t0: f32 = 0;
        let src = a + <usize>i * 4;
        for (let p = 0; p < k; p++) {
          t0 = madd1(load<f32>(src), load<f32>(bcol + <usize>p * 4), t0);
          src += ldaB;
        }
        putC(col, ldcB, i, t0, add);
      }
    }
  }
}

/** GEMMs with at most this many rows of C (the weight gradient of a layer with one or two outputs) take `gemmShort`. */
const SHORT_MAX_M: i32 = 2;

/**
 * C (+)= op(A)·op(B) one row of C at a time, for C with at most SHORT_MAX_M rows, op(B) and C
 * unsegmented along their columns and B not transposed (arguments as `gemm`'s; row i of op(A)
 * is first copied to `arow`, k floats):
 * C(i, j) = Σ_p A(i, p)·B(p, j) in order of p, columns j in lanes, so the bits of an element do
 * not depend on which columns a thread was given.
 */
function gemmShort(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, aTrans: i32, aSegLen: i32, aSegStride: i32,
  b: usize, ldb: i32,
  c: usize, ldc: i32,
  accumulate: i32, jBase: i32, arow: usize,
): void {
  const add = accumulate != 0;
  const ldbB = <usize>ldb * 4;
  for (let i = 0; i < m; i++) {
    const row = c + <usize>(i * ldc + jBase) * 4;
    for (let p = 0; p < k; p++) {
      const off = aTrans != 0 ? p * lda + i : i * lda + segOffset(p, aSegLen, aSegStride);
      store<f32>(arow + <usize>p * 4, load<f32>(a + <usize>off * 4));
    }
    let j = 0;
    for (; j + 16 <= n; j += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let src = b + <usize>(jBase + j) * 4;
      for (let p = 0; p < k; p++) {
        const av = v128.load32_splat(arow + <usize>p * 4);
        s0 = madd(av, v128.load(src), s0);
        s1 = madd(av, v128.load(src, 16), s1);
        s2 = madd(av, v128.load(src, 32), s2);
        s3 = madd(av, v128.load(src, 48), s3);
        src += ldbB;
      }
      putRow(row, j, s0, add);
      putRow(row, j + 4, s1, add);
      putRow(row, j + 8, s2, add);
      putRow(row, j + 12, s3, add);
    }
    for (; j + 4 <= n; j += 4) {
      let s0 = f32x4.splat(0);
      let src = b + <usize>(jBase + j) * 4;
      for (let p = 0; p < k; p++) {
        s0 = madd(v128.load32_splat(arow + <usize>p * 4), v128.load(src), s0);
        src += ldbB;
      }
      putRow(row, j, s0, add);
    }
    for (; j < n; j++) {
      let t0: f32 = 0;
      let src = b + <usize>(jBase + j) * 4;
      for (let p = 0; p < k; p++) {
        t0 = madd1(load<f32>(arow + <usize>p * 4), load<f32>(src), t0);
        src += ldbB;
      }
      const dst = row + <usize>j * 4;
      store<f32>(dst, add ? load<f32>(dst) + t0 : t0);
    }
  }
}

/** C(i, j..j+3) = v (or += v) on the row at `row`. */
// @ts-ignore: decorator
@inline function putRow(row: usize, j: i32, v: v128, add: bool): void {
  const dst = row + <usize>j * 4;
  v128.store(dst, add ? f32x4.add(v128.load(dst), v) : v);
}

/** The four lanes of v into C(i..i+3, ·) (or added to them). */
// @ts-ignore: decorator
@inline function putLanes(col: usize, ldcB: usize, i: i32, v: v128, add: bool): void {
  putC(col, ldcB, i, f32x4.extract_lane(v, 0), add);
  putC(col, ldcB, i + 1, f32x4.extract_lane(v, 1), add);
  putC(col, ldcB, i + 2, f32x4.extract_lane(v, 2), add);
  putC(col, ldcB, i + 3, f32x4.extract_lane(v, 3), add);
}

/**
 * C = op(A)·op(B) (or C += when `accumulate`), C[m×n], op(A)[m×k], op(B)[k×n].
 *   A(i, p) = a[i·lda + seg_a(p)]            (aTrans = 0; seg_a splits K into runs of aSegLen)
 *           = a[p·lda + i]                   (aTrans = 1)
 *   B(p, j) = b[p·ldb + seg_b(j)]            (bTrans = 0)
 *           = b[j·ldb + p]                   (bTrans = 1)
 *   C(i, j) = c[i·ldc + seg_c(j)]
 * For plain row-major matrices pass segLen = the dimension's length (segStride is then unused).
 * `scratch` must point at SCRATCH_BYTES of free memory. Only columns jBase..jBase+n of B and C
 * are computed (threads split the columns this way; pass 0 for the whole product).
 */
export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, lda: i32, aTrans: i32, aSegLen: i32, aSegStride: i32,
  b: usize, ldb: i32, bTrans: i32, bSegLen: i32, bSegStride: i32,
  c: usize, ldc: i32, cSegLen: i32, cSegStride: i32,
  accumulate: i32, scratch: usize, jBase: i32,
): void {
  if (m <= 0 || n <= 0) return;
  const pA = (scratch + 63) & ~(<usize>63);
  const pB = pA + <usize>(MC * KC) * 4;
  const tile = pB + <usize>(KC * NC) * 4;
  const offs = tile + <usize>(8 * NR) * 4;
  const ldcB = <usize>ldc * 4;
  // With few rows of C, each B panel is used by few row tiles and packing B (a full read and
  // write of it) costs more than it saves: read contiguous 8-column panels of B in place, one
  // row per k (short panels only: long ones stride across too many pages).
  const direct = bTrans == 0 && m <= DIRECT_MAX_M && k <= DIRECT_MAX_K;
  // Likewise with few columns of C (a conv's grad-weight: N = C·kh·kw = 16 for the 1→64 layer):
  // each packed A panel would serve one or two B panels, so read A in place.
  const directA = !direct && aTrans == 0 && n <= DIRECT_MAX_N;
  if (k <= 0) {
    if (accumulate == 0) {
      for (let i = 0; i < m; i++) {
        for (let j = jBase; j < jBase + n; j++) store<f32>(c + <usize>(i * ldc + segOffset(j, cSegLen, cSegStride)) * 4, 0);
      }
    }
    return;
  }
  // Narrow C (never a column slice of a wider product, which must round as that product does).
  if (n <= NARROW_MAX_N && jBase == 0 && (aTrans != 0 || aSegLen >= k) && k <= KC * NC) {
    gemmNarrow(m, n, k, a, lda, aTrans, b, ldb, bTrans, bSegLen, bSegStride, c, ldc, cSegLen, cSegStride, accumulate, pB);
    return;
  }
  // Short C: every thread of a column split takes this path too (the split keeps m).
  if (m <= SHORT_MAX_M && bTrans == 0 && bSegLen >= jBase + n && cSegLen >= jBase + n && k <= KC * NC) {
    gemmShort(m, n, k, a, lda, aTrans, aSegLen, aSegStride, b, ldb, c, ldc, accumulate, jBase, pB);
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      if (!direct) packB(b, ldb, bTrans != 0, bSegLen, bSegStride, n, jBase + jc, nc, pc, kc, pB, offs);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (!directA) packA(a, lda, aTrans != 0, aSegLen, aSegStride, m, ic, mc, pc, kc, pA);
        for (let jr = 0; jr < nc; jr += NR) {
          const j = jBase + jc + jr;
          const cols = min(NR, nc - jr);
          const within = j % cSegLen;
          const contiguous = cols == NR && within + NR <= cSegLen;
          const cj = c + <usize>((j / cSegLen) * cSegStride + within) * 4;
          let pbPanel = pB + <usize>(jr * kc) * 4;
          let pbStride: usize = NR * 4;
          if (direct) {
            if (cols == NR && (j % bSegLen) + NR <= bSegLen) {
              // 8 contiguous columns of B: read them in place, one row of B per k.
              pbPanel = b + <usize>(pc * ldb + segOffset(j, bSegLen, bSegStride)) * 4;
              pbStride = <usize>ldb * 4;
            } else {
              packB(b, ldb, false, bSegLen, bSegStride, n, j, cols, pc, kc, pB, offs);
              pbPanel = pB;
            }
          }
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const i = ic + ir;
            // Full tiles go straight into C; edge and straddling tiles via the scratch tile.
            const toC = contiguous && rows == MR;
            const dst = toC ? cj + <usize>i * ldcB : tile;
            const lddB: usize = toC ? ldcB : NR * 4;
            if (directA && rows == MR) {
              // Four rows of A read in place.
              microRowsA(kc, a + <usize>(i * lda) * 4, <usize>lda * 4, pc, aSegLen, aSegStride, pbPanel, pbStride, dst, lddB, toC && add);
            } else {
              // With A read in place, a partial row panel (m not a multiple of 4) is packed
              // (zero-padded) on its own.
              if (directA) packA(a, lda, false, aSegLen, aSegStride, m, i, rows, pc, kc, pA);
              const paPanel = directA ? pA : pA + <usize>(ir * kc) * 4;
              micro(kc, paPanel, pbPanel, pbStride, dst, lddB, toC && add);
            }
            if (!toC) storeTile(tile, rows, cols, c, cj, contiguous, within, j, i, ldcB, cSegLen, cSegStride, add);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im
//
// Both are gathers driven by index tables built once per call (single-threaded, by the caller
// before it splits the channels across threads), so the inner loops have a fixed trip count
// and no data-dependent branches: 4 outputs per iteration, each lane an address from the
// table, padding lanes masked to +0. They replace row-by-row loops (col2im scattered with
// read-modify-writes into x) and run about twice as fast (README, "Performance").

/**
 * tab[tap·oh·ow + oy·ow + ox] (tap = ky·kw + kx) = the offset within one input plane of the
 * pixel that output (oy, ox) reads through tap (ky, kx), or −1 where it falls in the padding.
 */
export function im2colTable(
  h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, tab: usize,
): void {
  let p = tab;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * sh - ph + ky * dh;
        const rowOk = iy >= 0 && iy < h;
        for (let ox = 0; ox < ow; ox++) {
          const ix = ox * sw - pw + kx * dw;
          store<i32>(p, rowOk && ix >= 0 && ix < w ? iy * w + ix : -1);
          p += 4;
        }
      }
    }
  }
}

/**
 * Four floats gathered from `base` at the byte offsets 4·t of the lanes of `t` where t ≥ 0;
 * lanes with t < 0 are +0 (their load reads base[0], always valid, and is masked out, so a
 * NaN there does not leak).
 */
// @ts-ignore: decorator
@inline function gather4(base: usize, t: v128): v128 {
  const zero = i32x4.splat(0);
  const idx = i32x4.shl(i32x4.max_s(t, zero), 2);
  let v = f32x4.splat(load<f32>(base + <usize>i32x4.extract_lane(idx, 0)));
  v = f32x4.replace_lane(v, 1, load<f32>(base + <usize>i32x4.extract_lane(idx, 1)));
  v = f32x4.replace_lane(v, 2, load<f32>(base + <usize>i32x4.extract_lane(idx, 2)));
  v = f32x4.replace_lane(v, 3, load<f32>(base + <usize>i32x4.extract_lane(idx, 3)));
  return v128.and(v, i32x4.ge_s(t, zero));
}

/** One float from `base` at offset 4·t, or +0 when t < 0. */
// @ts-ignore: decorator
@inline function gather1(base: usize, t: i32): f32 {
  return select<f32>(load<f32>(base + (<usize>(t & ~(t >> 31)) << 2)), 0, t >= 0);
}

/**
 * col[ch·taps + tap, img·ohw + j] = x[img, ch, pixel tab[tap·ohw + j]] (0 where the table
 * says padding), for images 0..nb of x `[nb, c, hw]`; the column matrix has row stride
 * nb·ohw. `tab` comes from im2colTable. Only channels c0..c1 are done (threads split them).
 */
export function im2col(
  x: usize, nb: i32, c: i32, hw: i32, taps: i32, ohw: i32, tab: usize, col: usize, c0: i32, c1: i32,
): void {
  const ldcol = nb * ohw;
  const vecEnd = ohw & ~3;
  for (let ch = c0; ch < c1; ch++) {
    for (let tap = 0; tap < taps; tap++) {
      const row = col + <usize>((ch * taps + tap) * ldcol) * 4;
      const t0 = tab + <usize>(tap * ohw) * 4;
      for (let img = 0; img < nb; img++) {
        const plane = x + <usize>((img * c + ch) * hw) * 4;
        const out = row + <usize>(img * ohw) * 4;
        let j = 0;
        for (; j < vecEnd; j += 4) v128.store(out + <usize>j * 4, gather4(plane, v128.load(t0 + <usize>j * 4)));
        for (; j < ohw; j++) store<f32>(out + <usize>j * 4, gather1(plane, load<i32>(t0 + <usize>j * 4)));
      }
    }
  }
}

/**
 * The inverse table of im2col, for col2im with column row stride `ldcol`: for each input
 * pixel p, `m` slots holding tap·ldcol + oy·ow + ox for every (tap, output) that reads p, in
 * tap order, then −1. Laid out as groups of 4 pixels: slot s of pixel p is at
 * rt[(p >> 2)·4m + 4s + (p & 3)]. Returns −1 if some pixel has more than m readers (the caller
 * sized rt wrongly), else 0.
 */
export function col2imTable(
  h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, ldcol: i32, m: i32, rt: usize,
): i32 {
  const entries = ((h * w + 3) >> 2) * 4 * m;
  for (let i = 0; i < entries; i++) store<i32>(rt + <usize>i * 4, -1);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const tap = ky * kw + kx;
      for (let oy = 0; oy < oh; oy++) {
        const iy = oy * sh - ph + ky * dh;
        if (iy < 0 || iy >= h) continue;
        for (let ox = 0; ox < ow; ox++) {
          const ix = ox * sw - pw + kx * dw;
          if (ix < 0 || ix >= w) continue;
          const p = iy * w + ix;
          const slots = rt + <usize>((p >> 2) * 4 * m + (p & 3)) * 4;
          let s = 0;
          while (s < m && load<i32>(slots + <usize>s * 16) >= 0) s++;
          if (s == m) return -1;
          store<i32>(slots + <usize>s * 16, tap * ldcol + oy * ow + ox);
        }
      }
    }
  }
  return 0;
}

/**
 * The adjoint of im2col: x[img, ch, p] = Σ of the column entries that im2col copies from
 * pixel p (0 if none), summed in tap order, for images 0..nb; x is overwritten. `rt` comes
 * from col2imTable with ldcol = nb·ohw. Only channels c0..c1 are done.
 */
export function col2im(
  col: usize, nb: i32, c: i32, hw: i32, taps: i32, ohw: i32, m: i32, rt: usize, x: usize, c0: i32, c1: i32,
): void {
  const ldcol = nb * ohw;
  const groups = hw >> 2;
  for (let img = 0; img < nb; img++) {
    for (let ch = c0; ch < c1; ch++) {
      const plane = x + <usize>((img * c + ch) * hw) * 4;
      const base = col + <usize>(ch * taps * ldcol + img * ohw) * 4;
      for (let gi = 0; gi < groups; gi++) {
        const slots = rt + <usize>(gi * 4 * m) * 4;
        let acc = f32x4.splat(0);
        for (let s = 0; s < m; s++) acc = f32x4.add(acc, gather4(base, v128.load(slots + <usize>s * 16)));
        v128.store(plane + <usize>(gi * 4) * 4, acc);
      }
      for (let p = groups * 4; p < hw; p++) {
        const slots = rt + <usize>((p >> 2) * 4 * m + (p & 3)) * 4;
        let acc: f32 = 0;
        for (let s = 0; s < m; s++) acc += gather1(base, load<i32>(slots + <usize>s * 16));
        store<f32>(plane + <usize>p * 4, acc);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Spectral norm: one power-iteration step

/** Σ x[i]² over n floats, accumulated in f64. */
function sumSquares(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    s += v * v;
  }
  return s;
}

/**
 * For W `[rows, cols]` and u `[rows]`: v = normalise(Wᵀu), wv = W v, u' = normalise(wv),
 * returns sigma = u'ᵀ wv; writes v `[cols]` and u' `[rows]`. normalise(z) = z / max(‖z‖, eps).
 */
export function powerIteration(wPtr: usize, rows: i32, cols: i32, u: usize, eps: f64, vOut: usize, uOut: usize): f64 {
  // v = Wᵀu, a sum of scaled rows (SIMD over columns).
  memory.fill(vOut, 0, <usize>cols * 4);
  const cols4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const ui = load<f32>(u + <usize>i * 4);
    const us = f32x4.splat(ui);
    const row = wPtr + <usize>(i * cols) * 4;
    let j = 0;
    for (; j < cols4; j += 4) {
      const d = vOut + <usize>j * 4;
      v128.store(d, madd(us, v128.load(row + <usize>j * 4), v128.load(d)));
    }
    for (; j < cols; j++) {
      const d = vOut + <usize>j * 4;
      store<f32>(d, load<f32>(d) + ui * load<f32>(row + <usize>j * 4));
    }
  }
  const vn = max(Math.sqrt(sumSquares(vOut, cols)), eps);
  for (let j = 0; j < cols; j++) store<f32>(vOut + <usize>j * 4, <f32>(<f64>load<f32>(vOut + <usize>j * 4) / vn));
  // wv = W v (SIMD dot products), kept in uOut, then normalised.
  let ss: f64 = 0;
  for (let i = 0; i < rows; i++) {
    const row = wPtr + <usize>(i * cols) * 4;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j < cols4; j += 4) acc = madd(v128.load(row + <usize>j * 4), v128.load(vOut + <usize>j * 4), acc);
    let s: f64 = <f64>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
      <f64>(f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
    for (; j < cols; j++) s += <f64>load<f32>(row + <usize>j * 4) * <f64>load<f32>(vOut + <usize>j * 4);
    store<f32>(uOut + <usize>i * 4, <f32>s);
    ss += s * s;
  }
  const un = max(Math.sqrt(ss), eps);
  // sigma = u'ᵀ wv = ‖wv‖² / max(‖wv‖, eps)
  for (let i = 0; i < rows; i++) store<f32>(uOut + <usize>i * 4, <f32>(<f64>load<f32>(uOut + <usize>i * 4) / un));
  return ss / un;
}

// ---------------------------------------------------------------------------------------------
// Peak: register-only loops that bound what the micro-kernel can reach

// @ts-ignore: decorator
@inline function peakStep(a: v128, m: v128, fma: bool): v128 {
  return fma ? madd(a, m, m) : f32x4.add(f32x4.mul(a, m), m);
}

/** Independent f32x4 accumulators in the peak loops. */
const PEAK_ACCUMULATORS: i32 = 14;

/** How many accumulators the peak loops run (their flops are that · 4 lanes · 2 · iters). */
export function peakAccumulators(): i32 {
  return PEAK_ACCUMULATORS;
}

/**
 * 14 independent f32x4 accumulators, `iters` rounds each of a·m + m (fixed point m/(1 − m), so
 * no overflow or denormals): 14·4·2·iters flops. The mul→add chain is 6 cycles long, so the
 * loop needs more accumulators than units × latency to stay throughput-bound; 14 (with m, 15
 * of V8's usable xmm registers) is the count that measured fastest: fewer are latency-bound,
 * and 13 spilled (README, "The wasm backend").
 * `fma` is a constant at both call sites, so inlining leaves one branch-free loop each.
 */
// @ts-ignore: decorator
@inline function peakLoop(iters: i32, fma: bool): f32 {
  const m = f32x4.splat(0.999);
  let a0 = f32x4.splat(1);
  let a1 = f32x4.splat(2);
  let a2 = f32x4.splat(3);
  let a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5);
  let a5 = f32x4.splat(6);
  let a6 = f32x4.splat(7);
  let a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9);
  let a9 = f32x4.splat(10);
  let a10 = f32x4.splat(11);
  let a11 = f32x4.splat(12);
  let a12 = f32x4.splat(13);
  let a13 = f32x4.splat(14);
  for (let i = 0; i < iters; i++) {
    a0 = peakStep(a0, m, fma);
    a1 = peakStep(a1, m, fma);
    a2 = peakStep(a2, m, fma);
    a3 = peakStep(a3, m, fma);
    a4 = peakStep(a4, m, fma);
    a5 = peakStep(a5, m, fma);
    a6 = peakStep(a6, m, fma);
    a7 = peakStep(a7, m, fma);
    a8 = peakStep(a8, m, fma);
    a9 = peakStep(a9, m, fma);
    a10 = peakStep(a10, m, fma);
    a11 = peakStep(a11, m, fma);
    a12 = peakStep(a12, m, fma);
    a13 = peakStep(a13, m, fma);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)), f32x4.add(a12, a13)),
  );
  return f32x4.extract_lane(s, 0);
}

/** The mul+add peak: 14·4·2·iters flops, registers only. */
export function peakMulAdd(iters: i32): f32 {
  return peakLoop(iters, false);
}

/** The fused multiply-add peak (relaxed build; mul+add in the plain SIMD build). */
export function peakFma(iters: i32): f32 {
  return peakLoop(iters, true);
}

// ---------------------------------------------------------------------------------------------
// Fused elementwise programs (the jit compiler's groups): assembly/fused.ts

export { fusedRun } from './fused';

// ---------------------------------------------------------------------------------------------
// Optimisers

export { adamStep } from "./adam";
