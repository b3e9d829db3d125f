import * as E from 'fp-ts/lib/Either.js';
import { ParseError, ValueError } from '../core/errors.js';
import { checkShape, sizeOf, tensor, type Tensor } from '../core/tensor.js';

/**
 * The safetensors format (huggingface/safetensors), read and written over a `Uint8Array`, with
 * no file access (that lives in `src/node/`), so it runs in a browser too.
 *
 *     [ n: u64 little-endian ][ header: n bytes of UTF-8 JSON ][ data section ]
 *
 * The header is a JSON object mapping each tensor name to `{ dtype, shape, data_offsets:
 * [begin, end] }` (byte offsets into the data section), plus an optional `__metadata__` object of
 * string → string. Tensors are little-endian and row-major.
 *
 * `parseSafetensors` is written for hostile files. It enforces every rule of the reference
 * implementation (`safetensors/src/tensor.rs`, `read_metadata` and `Metadata::validate`) and a
 * few more, each with its own `rule` code:
 *
 * - `header-too-small`  the file is shorter than the 8-byte length prefix;
 * - `header-too-large`  the header is longer than 100,000,000 bytes (the reference's limit);
 * - `header-length`     the header would run past the end of the file;
 * - `header-utf8`       the header is not valid UTF-8;
 * - `header-start`      the header does not start with `{` (the spec's intent; the reference
 *                       plans the same check);
 * - `header-json`       the header is not JSON, or not a JSON object;
 * - `metadata`          `__metadata__` is not an object of strings;
 * - `entry`             an entry is not `{ dtype, shape, data_offsets }` (extra keys rejected);
 * - `dtype`             the dtype is unknown or not supported here (named in the message);
 * - `shape`             a dimension is not a non-negative integer below 2⁵³ (JSON numbers
 *                       beyond that lose precision when parsed, so they cannot be trusted);
 * - `overflow`          the element or byte count, multiplied left to right, exceeds 2⁵³ − 1;
 * - `offsets`           offsets that are not integers below 2⁵³, or `end < begin`, or an end
 *                       beyond the data section;
 * - `size-mismatch`     `end − begin` differs from elements × dtype size;
 * - `overlap`, `gap`    after sorting by offset, a tensor starts before the previous one ends,
 *                       or after it (every byte belongs to exactly one tensor);
 * - `incomplete`        the tensors do not reach the end of the data section (trailing bytes).
 *
 * Nothing is allocated from a length that has not been checked against the file's size; names
 * live in `Map`s, so `__proto__` or `constructor` are ordinary names. A duplicated name in the
 * JSON keeps its last entry (as `JSON.parse` and the reference's serde map do); any bytes the
 * dropped entry covered then show up as a `gap`.
 *
 * Supported dtypes: every byte-sized dtype of the reference (BOOL, U8, I8, F8_E5M2, F8_E4M3,
 * I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64). Sub-byte and newer ones (F4, F6_E2M3,
 * F6_E3M2, F8_E8M0, C64, ...) are rejected by name. `toFloat32` converts all but the F8 types.
 */

/** The header may be at most this many bytes (as the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element, in the reference's dtype order (increasing alignment). */
const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type Dtype = keyof typeof DTYPE_SIZES;
export const DTYPES = Object.freeze(Object.keys(DTYPE_SIZES) as Dtype[]);

/** Dtypes the format knows but this reader does not: sub-byte, complex, or scale-only floats. */
const UNSUPPORTED_DTYPES = new Set(['F4', 'F6_E2M3', 'F6_E3M2', 'F8_E8M0', 'F8_E4M3FNUZ', 'F8_E5M2FNUZ', 'C64', 'C128']);

export const dtypeSize = (d: Dtype): number => DTYPE_SIZES[d];
const isDtype = (d: string): d is Dtype => Object.prototype.hasOwnProperty.call(DTYPE_SIZES, d);

/** One tensor of a file: its raw little-endian bytes (a view into the parsed buffer). */
export type SafetensorsTensor = Readonly<{ dtype: Dtype; shape: readonly number[]; data: Uint8Array }>;

/** A parsed file: tensors in data-offset order, and the `__metadata__` strings. */
export type Safetensors = Readonly<{
  tensors: ReadonlyMap<string, SafetensorsTensor>;
  metadata: ReadonlyMap<string, string>;
}>;

export type SafetensorsRule =
  | 'header-too-small'
  | 'header-too-large'
  | 'header-length'
  | 'header-utf8'
  | 'header-start'
  | 'header-json'
  | 'metadata'
  | 'entry'
  | 'dtype'
  | 'shape'
  | 'overflow'
  | 'offsets'
  | 'size-mismatch'
  | 'overlap'
  | 'gap'
  | 'incomplete'
  | 'convert';

/** A malformed safetensors file; `rule` says which rule it broke, the message says how. */
export class SafetensorsError extends ParseError {
  readonly rule: SafetensorsRule;
  constructor(rule: SafetensorsRule, message: string) {
    super(`safetensors: ${message}`);
    this.rule = rule;
  }
}

const fail = (rule: SafetensorsRule, message: string): E.Either<SafetensorsError, never> => E.left(new SafetensorsError(rule, message));

/** A name for messages: JSON-quoted and cut to 80 characters, so a hostile name stays one short line. */
const quote = (name: string): string => {
  const q = JSON.stringify(name);
  return q.length > 80 ? `${q.slice(0, 77)}..."` : q;
};

type Entry = { name: string; dtype: Dtype; shape: number[]; begin: number; end: number };

/** Parses and validates a whole safetensors file. Tensor data are views into `bytes` (not copied). */
export function parseSafetensors(bytes: Uint8Array): E.Either<SafetensorsError, Safetensors> {
  if (bytes.length < 8) return fail('header-too-small', `the file has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 4294967296 + lo;
  if (hi !== 0 || n > MAX_HEADER_BYTES) {
    return fail('header-too-large', `the header length ${hi === 0 ? n : `${BigInt(hi) * 4294967296n + BigInt(lo)}`} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (8 + n > bytes.length) {
    return fail('header-length', `the header length ${n} runs past the end of the file (${bytes.length} bytes, so at most ${bytes.length - 8})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header-utf8', 'the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) return fail('header-start', `the header must start with "{", got ${quote(text.slice(0, 10))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail('header-json', `the header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('header-json', 'the header must be a JSON object');
  const dataLength = bytes.length - 8 - n;

  const metadata = new Map<string, string>();
  const entries: Entry[] = [];
  for (const name of Object.keys(json)) {
    const value = (json as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      const m = readMetadata(value);
      if (E.isLeft(m)) return m;
      m.right.forEach((v, k) => metadata.set(k, v));
      continue;
    }
    const entry = readEntry(name, value, dataLength);
    if (E.isLeft(entry)) return entry;
    entries.push(entry.right);
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < cursor) {
      return fail('overlap', `tensor ${quote(e.name)} (bytes ${e.begin}–${e.end}) overlaps tensor ${quote(previous!.name)} (bytes ${previous!.begin}–${previous!.end})`);
    }
    if (e.begin > cursor) {
      return fail('gap', `bytes ${cursor}–${e.begin} of the data section belong to no tensor (before tensor ${quote(e.name)})`);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) {
    return fail('incomplete', `the tensors cover ${cursor} bytes but the data section has ${dataLength} (bytes ${cursor}–${dataLength} belong to no tensor)`);
  }

  const start = 8 + n;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) {
    tensors.set(e.name, Object.freeze({ dtype: e.dtype, shape: Object.freeze(e.shape), data: bytes.subarray(start + e.begin, start + e.end) }));
  }
  return E.right(Object.freeze({ tensors, metadata }));
}

function readMetadata(value: unknown): E.Either<SafetensorsError, Map<string, string>> {
  const out = new Map<string, string>();
  if (value === null) return E.right(out);
  if (typeof value !== 'object' || Array.isArray(value)) return fail('metadata', '__metadata__ must be an object of strings');
  for (const k of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v !== 'string') return fail('metadata', `__metadata__ value ${quote(k)} must be a string, got ${jsonType(v)}`);
    out.set(k, v);
  }
  return E.right(out);
}

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

function readEntry(name: string, value: unknown, dataLength: number): E.Either<SafetensorsError, Entry> {
  const what = `tensor ${quote(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('entry', `${what} must be an object { dtype, shape, data_offsets }, got ${jsonType(value)}`);
  }
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
  if (extra.length > 0) return fail('entry', `${what} has unknown field ${quote(extra[0]!)} (expected dtype, shape, data_offsets)`);
  const { dtype, shape, data_offsets: offsets } = v;
  if (typeof dtype !== 'string') return fail('entry', `${what} needs a string dtype, got ${jsonType(dtype)}`);
  if (!isDtype(dtype)) {
    const why = UNSUPPORTED_DTYPES.has(dtype) ? 'is not supported by this reader' : 'is unknown';
    return fail('dtype', `${what} has dtype ${quote(dtype)}, which ${why} (supported: ${DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape)) return fail('entry', `${what} needs a shape array, got ${jsonType(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2) return fail('entry', `${what} needs data_offsets [begin, end]`);
  let count = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      return fail('shape', `${what} has dimension ${JSON.stringify(d)?.slice(0, 30)}; dimensions must be non-negative integers below 2^53`);
    }
    count *= d;
    if (count > Number.MAX_SAFE_INTEGER) return fail('overflow', `${what}: the element count of shape [${(shape as number[]).join(', ').slice(0, 60)}] overflows 2^53`);
  }
  const size = DTYPE_SIZES[dtype];
  const nbytes = count * size;
  if (nbytes > Number.MAX_SAFE_INTEGER) return fail('overflow', `${what}: ${count} elements × ${size} bytes overflows 2^53`);
  const [begin, end] = offsets as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0) {
    return fail('offsets', `${what} has data_offsets ${JSON.stringify(offsets).slice(0, 60)}; they must be non-negative integers below 2^53`);
  }
  if (end < begin) return fail('offsets', `${what} ends (${end}) before it begins (${begin})`);
  if (end > dataLength) return fail('offsets', `${what} ends at byte ${end}, past the end of the data section (${dataLength} bytes)`);
  if (end - begin !== nbytes) {
    return fail('size-mismatch', `${what} spans ${end - begin} bytes but ${dtype} [${(shape as number[]).join(', ')}] needs ${nbytes}`);
  }
  return E.right({ name, dtype, shape: [...(shape as number[])], begin, end });
}

/** A tensor to write: a puregan Tensor (written as F32) or raw little-endian bytes with a dtype. */
export type TensorToWrite = Tensor | SafetensorsTensor;

const isRaw = (t: TensorToWrite): t is SafetensorsTensor => typeof (t as SafetensorsTensor).dtype === 'string';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a float32 array (a view when the host is little-endian). */
function float32Bytes(a: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 4);
  const v = new DataView(out.buffer);
  a.forEach((x, i) => v.setFloat32(i * 4, x, true));
  return out;
}

const utf8 = new TextEncoder();
const compareUtf8 = (a: string, b: string): number => {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};

/**
 * Writes tensors and string metadata as a safetensors file, byte for byte as the reference
 * implementation does: tensors sorted by dtype alignment (largest first), then by name; the
 * header JSON without spaces, `__metadata__` first (keys sorted), padded with spaces to a
 * multiple of 8 bytes so every tensor starts aligned.
 *
 * Throws ValueError for a name `__metadata__`, or raw bytes that do not match their shape.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorToWrite> | Readonly<Record<string, TensorToWrite>>,
  metadata: ReadonlyMap<string, string> | Readonly<Record<string, string>> = new Map(),
): Uint8Array {
  const items: Array<{ name: string; dtype: Dtype; shape: readonly number[]; data: Uint8Array }> = [];
  const pairs = tensors instanceof Map ? [...tensors] : Object.keys(tensors).map((k) => [k, (tensors as Record<string, TensorToWrite>)[k]!] as const);
  for (const [name, t] of pairs) {
    if (name === '__metadata__') throw new ValueError('a tensor cannot be named "__metadata__" (the name is reserved for the metadata)');
    checkShape(t.shape, `tensor ${quote(name)} shape`);
    if (isRaw(t)) {
      if (!isDtype(t.dtype)) throw new ValueError(`tensor ${quote(name)}: unknown dtype ${quote(t.dtype)}`);
      const need = sizeOf(t.shape) * DTYPE_SIZES[t.dtype];
      if (t.data.length !== need) throw new ValueError(`tensor ${quote(name)}: ${t.dtype} [${t.shape.join(', ')}] needs ${need} bytes, got ${t.data.length}`);
      items.push({ name, dtype: t.dtype, shape: t.shape, data: t.data });
    } else {
      items.push({ name, dtype: 'F32', shape: t.shape, data: float32Bytes(t.data) });
    }
  }
  const rank = (d: Dtype): number => DTYPES.indexOf(d);
  items.sort((a, b) => rank(b.dtype) - rank(a.dtype) || compareUtf8(a.name, b.name));

  const meta = metadata instanceof Map ? [...metadata] : Object.keys(metadata).map((k) => [k, (metadata as Record<string, string>)[k]!] as const);
  meta.sort(([a], [b]) => compareUtf8(a, b));
  const parts: string[] = [];
  if (meta.length > 0) parts.push(`"__metadata__":{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  let offset = 0;
  for (const it of items) {
    const end = offset + it.data.length;
    parts.push(`${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded % 4294967296, true);
  view.setUint32(4, Math.floor(padded / 4294967296), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const it of items) {
    out.set(it.data, at);
    at += it.data.length;
  }
  return out;
}

/** IEEE half precision → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The elements of a tensor as float32 (F64, I64, U64, I32 and U32 values beyond float32's
 * precision are rounded; BOOL is 0 or 1). F8 dtypes are rejected by name (rule `convert`).
 */
export function toFloat32(t: SafetensorsTensor): E.Either<SafetensorsError, Float32Array> {
  const n = sizeOf(t.shape);
  if (t.data.length !== n * DTYPE_SIZES[t.dtype]) {
    return fail('size-mismatch', `${t.dtype} [${t.shape.join(', ')}] needs ${n * DTYPE_SIZES[t.dtype]} bytes, got ${t.data.length}`);
  }
  const v = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (t.dtype === 'F32' && littleEndian) return E.right(new Float32Array(new Uint8Array(t.data).buffer));
  const out = new Float32Array(n);
  const scratch = new DataView(new ArrayBuffer(4));
  const read: ((i: number) => number) | undefined = {
    BOOL: (i: number) => (v.getUint8(i) === 0 ? 0 : 1),
    U8: (i: number) => v.getUint8(i),
    I8: (i: number) => v.getInt8(i),
    I16: (i: number) => v.getInt16(2 * i, true),
    U16: (i: number) => v.getUint16(2 * i, true),
    F16: (i: number) => halfToNumber(v.getUint16(2 * i, true)),
    BF16: (i: number) => {
      scratch.setUint32(0, v.getUint16(2 * i, true) << 16);
      return scratch.getFloat32(0);
    },
    I32: (i: number) => v.getInt32(4 * i, true),
    U32: (i: number) => v.getUint32(4 * i, true),
    F32: (i: number) => v.getFloat32(4 * i, true),
    F64: (i: number) => v.getFloat64(8 * i, true),
    I64: (i: number) => Number(v.getBigInt64(8 * i, true)),
    U64: (i: number) => Number(v.getBigUint64(8 * i, true)),
    F8_E5M2: undefined,
    F8_E4M3: undefined,
  }[t.dtype];
  if (read === undefined) return fail('convert', `dtype ${t.dtype} cannot be converted to float32 by this reader`);
  for (let i = 0; i < n; i++) out[i] = read(i);
  return E.right(out);
}

/** A file tensor as a puregan Tensor (float32), or the conversion error. */
export function toTensor(t: SafetensorsTensor): E.Either<SafetensorsError, Tensor> {
  return E.map((data: Float32Array) => tensor(t.shape, data))(toFloat32(t));
}

/**
 * Every tensor of a safetensors file as a float32 puregan Tensor, by name (a null-prototype
 * record, so a name such as `__proto__` is only a name): the file is validated by
 * `parseSafetensors`, then each tensor converted by `toTensor`.
 */
export function parseFloat32Tensors(bytes: Uint8Array): E.Either<SafetensorsError, Record<string, Tensor>> {
  const parsed = parseSafetensors(bytes);
  if (E.isLeft(parsed)) return parsed;
  const out: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  for (const [name, t] of parsed.right.tensors) {
    const converted = toTensor(t);
    if (E.isLeft(converted)) return converted;
    out[name] = converted.right;
  }
  return E.right(out);
}
