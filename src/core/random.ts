import { ValueError } from './errors.js';
import { checkShape, sizeOf, tensor, type Shape, type Tensor } from './tensor.js';

/**
 * Counter-based random numbers with explicit keys, bit-compatible with JAX's default
 * Threefry-2x32 PRNG in its partitionable form (the default since JAX 0.5,
 * `jax_threefry_partitionable=True`): `key(0)` is `jax.random.key(0)`, and `split`, `foldIn`,
 * `randomBits` and `uniform` produce the same bits as JAX. Element i of any draw depends only
 * on the key and i (counter = i), so draws can be generated in parallel, in any order.
 *
 * There is no global state: the same key gives the same numbers in every run, on every backend.
 * Reusing a key gives the same numbers again; `split` it to get independent streams.
 */

/** A PRNG key: two uint32 words, `[k0, k1]`. Plain data, serialisable, a pytree of numbers. */
export type Key = readonly [number, number];

const ROT_A = [13, 15, 26, 6] as const;
const ROT_B = [17, 29, 16, 24] as const;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
/** `rotl` on int32 words (no conversion back to uint32), for the unrolled block in `randomBits`. */
const rotl32 = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/**
 * The Threefry-2x32 block function (20 rounds, Salmon et al. 2011; Random123's
 * `threefry2x32_20`): encrypts the counter `(c0, c1)` under the key `(k0, k1)`.
 * Writes the two output words into `out[0]`, `out[1]`.
 */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array | number[]): void {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0] as const;
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let group = 0; group < 5; group++) {
    const rot = group % 2 === 0 ? ROT_A : ROT_B;
    for (const r of rot) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, r) ^ x0;
    }
    const i = group + 1;
    x0 = (x0 + ks[i % 3]!) >>> 0;
    x1 = (x1 + ks[(i + 1) % 3]! + i) >>> 0;
  }
  out[0] = x0;
  out[1] = x1 >>> 0;
}

/** Threefry of the counter (⌊i / 2³²⌋, i mod 2³²) under key k: JAX's `iota_2x32_shape` counter. */
function blockAt(k: Key, i: number, out: Uint32Array): void {
  threefry2x32(k[0], k[1], Math.floor(i / 4294967296), i >>> 0, out);
}

function checkKey(k: Key): void {
  if (
    !Array.isArray(k) ||
    k.length !== 2 ||
    !k.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  ) {
    throw new ValueError(`a PRNG key must be two uint32 words [k0, k1], got ${JSON.stringify(k)}`);
  }
}

/**
 * A key from an integer seed (JAX's `PRNGKey(seed)`): `[seed >> 32, seed & 0xffffffff]`.
 * Negative seeds are taken modulo 2⁶⁴ as in JAX.
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) throw new ValueError(`seed must be a safe integer, got ${seed}`);
  const big = BigInt.asUintN(64, BigInt(seed));
  return Object.freeze([Number(big >> 32n), Number(big & 0xffffffffn)]) as Key;
}

/** `n` new independent keys derived from `k` (JAX's `split`). */
export function split(k: Key, n = 2): Key[] {
  checkKey(k);
  if (!Number.isSafeInteger(n) || n < 1) throw new ValueError(`split needs n >= 1, got ${n}`);
  const out = new Uint32Array(2);
  return Array.from({ length: n }, (_, i) => {
    blockAt(k, i, out);
    return Object.freeze([out[0]!, out[1]!]) as Key;
  });
}

/** A new key from `k` and an integer (e.g. a step number), JAX's `fold_in`: the block at counter (0, data). */
export function foldIn(k: Key, data: number): Key {
  checkKey(k);
  if (!Number.isInteger(data)) throw new ValueError(`foldIn data must be an integer, got ${data}`);
  const d = Number(BigInt.asUintN(32, BigInt(data)));
  const out = new Uint32Array(2);
  threefry2x32(k[0], k[1], 0, d, out);
  return Object.freeze([out[0]!, out[1]!]) as Key;
}

/**
 * `n` uniformly random uint32 words: word i = x0 ⊕ x1 of the block at counter i (JAX's
 * `random_bits(key, 32, (n,))`). The block function is `threefry2x32` unrolled on int32
 * arithmetic (additions wrap with `| 0`, the words are reinterpreted as uint32 on store), so a
 * draw allocates only its result; counters at or above 2³² take `blockAt`.
 */
export function randomBits(k: Key, n: number): Uint32Array {
  checkKey(k);
  if (!Number.isSafeInteger(n) || n < 0) throw new ValueError(`randomBits needs a count >= 0, got ${n}`);
  const bits = new Uint32Array(n);
  const k0 = k[0] | 0, k1 = k[1] | 0, k2 = (k[0] ^ k[1] ^ 0x1bd11bda) | 0;
  const fast = Math.min(n, 4294967296);
  for (let i = 0; i < fast; i++) {
    let x0 = k0;
    let x1 = (i + k1) | 0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 13) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 15) ^ x0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 26) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 6) ^ x0;
    x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 1) | 0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 17) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 29) ^ x0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 16) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 24) ^ x0;
    x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 2) | 0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 13) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 15) ^ x0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 26) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 6) ^ x0;
    x0 = (x0 + k0) | 0; x1 = (x1 + k1 + 3) | 0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 17) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 29) ^ x0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 16) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 24) ^ x0;
    x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 4) | 0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 13) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 15) ^ x0;
    x0 = (x0 + x1) | 0; x1 = rotl32(x1, 26) ^ x0; x0 = (x0 + x1) | 0; x1 = rotl32(x1, 6) ^ x0;
    x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 5) | 0;
    bits[i] = x0 ^ x1;
  }
  const out = new Uint32Array(2);
  for (let i = fast; i < n; i++) {
    blockAt(k, i, out);
    bits[i] = out[0]! ^ out[1]!;
  }
  return bits;
}

/** Float32 in [1, 2) from the top 23 bits, minus 1: uniform on [0, 1) with 2⁻²³ spacing. */
function unitFloats(bits: Uint32Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = (bits[i]! >>> 9) | 0x3f800000;
  const f = new Float32Array(u.buffer);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! - 1;
  return f;
}

/** Uniform samples on [minval, maxval) with the given shape (JAX's `uniform`). */
export function uniform(k: Key, shape: Shape, minval = 0, maxval = 1): Tensor {
  checkShape(shape);
  if (!(maxval >= minval)) throw new ValueError(`uniform needs minval <= maxval, got [${minval}, ${maxval})`);
  const f = unitFloats(randomBits(k, sizeOf(shape)));
  const span = maxval - minval;
  for (let i = 0; i < f.length; i++) f[i] = Math.max(minval, f[i]! * span + minval);
  return tensor(shape, f);
}

/**
 * Inverse error function, float32 accuracy (M. Giles, "Approximating the erfinv function",
 * GPU Computing Gems 2010; the single-precision polynomial XLA uses for JAX's `normal`).
 */
export function erfinv(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

/** Standard normal samples (JAX's method: √2 · erfinv(u), u uniform on (−1, 1)). */
export function normal(k: Key, shape: Shape, mean = 0, std = 1): Tensor {
  checkShape(shape);
  const lo = Math.fround(-1 + 2 ** -24);
  const f = unitFloats(randomBits(k, sizeOf(shape)));
  for (let i = 0; i < f.length; i++) {
    const u = Math.max(lo, f[i]! * (1 - lo) + lo);
    f[i] = mean + std * Math.SQRT2 * erfinv(u);
  }
  return tensor(shape, f);
}

/** 1 with probability p, else 0 (as float32), shape `shape`. */
export function bernoulli(k: Key, p: number, shape: Shape): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli needs 0 <= p <= 1, got ${p}`);
  const u = uniform(k, shape).data;
  return tensor(shape, u.map((x) => (x < p ? 1 : 0)));
}

/**
 * Integers uniform on [minval, maxval), as an Int32Array of length sizeOf(shape). Uses
 * ⌊bits · range / 2³²⌋ (Lemire's multiply-shift without rejection): bias below range/2³².
 */
export function randint(k: Key, shape: Shape, minval: number, maxval: number): Int32Array {
  checkShape(shape);
  if (!Number.isSafeInteger(minval) || !Number.isSafeInteger(maxval) || maxval <= minval || maxval - minval > 2 ** 31) {
    throw new ValueError(`randint needs integers minval < maxval with a range <= 2^31, got [${minval}, ${maxval})`);
  }
  const range = maxval - minval;
  const bits = randomBits(k, sizeOf(shape));
  const out = new Int32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = minval + Math.floor((bits[i]! * range) / 4294967296);
  return out;
}

/** A random permutation of 0..n−1 (Fisher–Yates driven by one word per swap). */
export function permutation(k: Key, n: number): Int32Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValueError(`permutation needs n >= 0, got ${n}`);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const bits = randomBits(k, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((bits[i]! * (i + 1)) / 4294967296);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}
