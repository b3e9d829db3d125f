import * as E from 'fp-ts/lib/Either.js';
import { ParseError } from '../core/errors.js';

/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), read from a `Uint8Array` without file
 * access, for hostile input:
 *
 *     \x93NUMPY  major minor  header_len (u16 LE in 1.x, u32 LE in 2.x/3.x)  header  data
 *
 * The header is a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (N, H, W), }`.
 * Supported dtypes (`descr`): `<f4` / `<f8` floats, `|u1` / `|i1` bytes, `<i2` `<u2` `<i4` `<u4`
 * `<i8` integers (little-endian or byte-sized; `=` and `<` both read as little-endian). Big-endian
 * data, Fortran order, structured dtypes and object arrays are refused by name. The data must
 * be exactly shape × item size bytes.
 */
export type NpyDtype = 'f4' | 'f8' | 'u1' | 'i1' | 'i2' | 'u2' | 'i4' | 'u4' | 'i8';
export type NpyArray = Readonly<{ dtype: NpyDtype; shape: readonly number[]; data: Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array }>;

const ITEM: Record<NpyDtype, number> = { f4: 4, f8: 8, u1: 1, i1: 1, i2: 2, u2: 2, i4: 4, u4: 4, i8: 8 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parses a `.npy` file; `what` names it in errors (e.g. its path). */
export function parseNpy(bytes: Uint8Array, what = 'npy file'): E.Either<ParseError, NpyArray> {
  const bad = (m: string): E.Either<ParseError, never> => E.left(new ParseError(`${what}: ${m}`));
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) return bad('not a .npy file (no \\x93NUMPY magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) return bad(`format version ${major}.${bytes[7]} is not supported (1.0, 2.0 or 3.0)`);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) return bad('the header length is cut off');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLength > bytes.length) return bad(`the header (${headerLength} bytes) runs past the end of the file (${bytes.length} bytes)`);
  let header: string;
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(bytes.subarray(start, start + headerLength));
  } catch {
    return bad('the header is not valid text');
  }
  const dict = /^\s*\{\s*(.*?)\s*,?\s*\}\s*$/s.exec(header);
  if (!dict) return bad('the header is not a dict literal');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(dict[1]!);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict[1]!);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict[1]!);
  if (!descr) return bad("the header has no 'descr' string (structured dtypes are not supported)");
  if (!fortran) return bad("the header has no 'fortran_order'");
  if (!shapeText) return bad("the header has no 'shape' tuple");
  if (fortran[1] === 'True') return bad('Fortran-order arrays are not supported (save with np.ascontiguousarray)');
  const m = /^([<|=>])([fiu])(\d)$/.exec(descr[1]!);
  const code = m ? `${m[2]}${m[3]}` : '';
  if (!m || !(code in ITEM)) return bad(`dtype '${descr[1]!.slice(0, 20)}' is not supported (float32, float64, uint8, int8, int16, uint16, int32, uint32, int64)`);
  if (m[1] === '>' && ITEM[code as NpyDtype] > 1) return bad(`dtype '${descr[1]}' is big-endian; save it little-endian (arr.astype('<${code}'))`);
  const dtype = code as NpyDtype;
  const dims = shapeText[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape: number[] = [];
  let count = 1;
  for (const d of dims) {
    if (!/^\d{1,15}$/.test(d)) return bad(`shape entry '${d.slice(0, 20)}' is not a non-negative integer`);
    shape.push(Number(d));
    count *= Number(d);
    if (count > Number.MAX_SAFE_INTEGER) return bad('the element count overflows 2^53');
  }
  const dataStart = start + headerLength;
  const need = count * ITEM[dtype];
  if (bytes.length - dataStart !== need) {
    return bad(`shape (${shape.join(', ')}) of ${dtype} needs ${need} data bytes, the file has ${bytes.length - dataStart}`);
  }
  const raw = new Uint8Array(bytes.subarray(dataStart, dataStart + need)).buffer;
  const arrays = { f4: Float32Array, f8: Float64Array, u1: Uint8Array, i1: Int8Array, i2: Int16Array, u2: Uint16Array, i4: Int32Array, u4: Uint32Array, i8: BigInt64Array } as const;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian && ITEM[dtype] > 1) return bad('this reader needs a little-endian host');
  return E.right(Object.freeze({ dtype, shape: Object.freeze(shape), data: new arrays[dtype](raw) }));
}
