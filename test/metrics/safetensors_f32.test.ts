import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { tensor } from '../../src/core/tensor.js';
import { decodeSafetensorsF32, encodeSafetensorsF32 } from '../../src/metrics/safetensors_f32.js';

describe('safetensors (float32)', () => {
  it('decodes what it encodes, shapes and values exactly', () => {
    const tensors = { 'b.bias': tensor([3], [1.5, -2, 0.1]), 'a.weight': tensor([2, 2], [1, 2, 3, 4]), s: tensor([], [7]) };
    const back = decodeSafetensorsF32(encodeSafetensorsF32(tensors));
    assert.ok(E.isRight(back));
    assert.deepEqual(back.right, tensors);
  });

  it('writes the layout of the format: u64 header length, JSON header, data at the offsets', () => {
    const bytes = encodeSafetensorsF32({ x: tensor([2], [1, -1]) });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
    assert.deepEqual(header, { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
    assert.equal(view.getFloat32(8 + n, true), 1);
    assert.equal(view.getFloat32(8 + n + 4, true), -1);
  });

  it('lists every bad entry of a header in one ParseError', () => {
    const header = JSON.stringify({ a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'F32', shape: [4], data_offsets: [0, 4] } });
    const head = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + head.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(head.length), true);
    bytes.set(head, 8);
    const r = decodeSafetensorsF32(bytes);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /a: dtype F16/);
    assert.match(r.left.message, /b: data_offsets \[0, 4\] do not hold 4 float32 values/);
  });

  it('rejects a header length that runs past the file', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 100n, true);
    assert.ok(E.isLeft(decodeSafetensorsF32(bytes)));
  });
});
