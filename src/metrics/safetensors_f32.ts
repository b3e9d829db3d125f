/**
 * The smallest float32 safetensors codec the shipped classifier needs (format: an 8-byte
 * little-endian header length, a JSON header `{ name: { dtype: "F32", shape, data_offsets } }`,
 * then the raw little-endian data). To be replaced by the general safetensors reader/writer
 * of the io work once that is on main.
 */
import * as E from 'fp-ts/lib/Either.js';
import { ParseError } from '../core/errors.js';
import { sizeOf, tensor, type Tensor } from '../core/tensor.js';

/** Encodes named float32 tensors (names sorted, header padded with spaces to 8 bytes). */
export function encodeSafetensorsF32(tensors: Readonly<Record<string, Tensor>>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    for (const v of tensors[name]!.data) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  return out;
}

/** Decodes a float32-only safetensors file; every problem found is listed in the ParseError. */
export function decodeSafetensorsF32(bytes: Uint8Array): E.Either<ParseError, Record<string, Tensor>> {
  if (bytes.length < 8) return E.left(new ParseError(`safetensors: ${bytes.length} bytes is too short for the 8-byte header length`));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) return E.left(new ParseError(`safetensors: header of ${headerLength} bytes runs past the end of the ${bytes.length}-byte file`));
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return E.left(new ParseError(`safetensors: header is not JSON: ${(e as Error).message}`));
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return E.left(new ParseError('safetensors: header is not a JSON object'));
  const dataStart = 8 + headerLength;
  const problems: string[] = [];
  const out: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32') problems.push(`${name}: dtype ${String(dtype)}, only F32 is supported`);
    const shapeOk = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
    const offsetsOk = Array.isArray(offsets) && offsets.length === 2 && offsets.every((d) => Number.isSafeInteger(d));
    if (!shapeOk) problems.push(`${name}: shape must be an array of non-negative integers`);
    if (!offsetsOk) problems.push(`${name}: data_offsets must be [start, end]`);
    if (dtype !== 'F32' || !shapeOk || !offsetsOk) continue;
    const [start, end] = offsets as [number, number];
    const dims = shape as number[];
    if (end - start !== 4 * sizeOf(dims) || start < 0 || dataStart + end > bytes.length) {
      problems.push(`${name}: data_offsets [${start}, ${end}] do not hold ${sizeOf(dims)} float32 values inside the file`);
      continue;
    }
    const data = new Float32Array(sizeOf(dims));
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + start + 4 * i, true);
    out[name] = tensor(dims, data);
  }
  return problems.length > 0 ? E.left(new ParseError(`safetensors:\n  - ${problems.join('\n  - ')}`)) : E.right(out);
}
