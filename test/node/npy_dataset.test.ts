import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { loadNpyDataset } from '../../src/node/npy_dataset.js';
import { tempDir } from '../helpers/temp_dir.js';

/** A version 1.0 .npy file, built by hand as NumPy lays it out (header padded to 64 bytes). */
function npy(descr: string, shape: number[], data: ArrayBufferView): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

function files(entries: Record<string, Uint8Array>): Record<string, string> {
  const dir = tempDir('npy');
  const out: Record<string, string> = {};
  for (const [name, bytes] of Object.entries(entries)) {
    out[name] = path.join(dir, name);
    writeFileSync(out[name]!, bytes);
  }
  return out;
}

describe('.npy datasets', () => {
  it('scales uint8 [N, H, W] images to [N, 1, H, W] in [−1, 1], with int64 labels', async () => {
    const f = files({ 'x.npy': npy('|u1', [2, 1, 2], new Uint8Array([0, 255, 51, 102])), 'y.npy': npy('<i8', [2], new BigInt64Array([3n, 1n])) });
    const r = await loadNpyDataset({ images: f['x.npy']!, labels: f['y.npy']! });
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.deepEqual(r.right.images.shape, [2, 1, 1, 2]);
    assert.deepEqual([...r.right.images.data], [-1, 1, Math.fround(51 / 127.5 - 1), Math.fround(102 / 127.5 - 1)]);
    assert.deepEqual([...r.right.labels.data], [3, 1]);
    assert.equal(r.right.classes, 4);
  });
  it('takes float32 [N, C, H, W] images as they are, one class without labels', async () => {
    const f = files({ 'x.npy': npy('<f4', [1, 3, 1, 1], new Float32Array([0.5, -1, 1])) });
    const r = await loadNpyDataset({ images: f['x.npy']! });
    assert.ok(E.isRight(r));
    assert.deepEqual([...r.right.images.data], [0.5, -1, 1]);
    assert.deepEqual([...r.right.labels.data], [0]);
    assert.equal(r.right.classes, 1);
  });
  it('rejects a misspelt option', async () => {
    const r = await loadNpyDataset({ images: 'x.npy', label: 'y.npy' } as never);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /loadNpyDataset: unknown option "label"; valid options: images, labels/);
  });
  it('refuses channels-last images with the transpose to apply', async () => {
    const f = files({ 'x.npy': npy('|u1', [2, 4, 4, 3], new Uint8Array(96)) });
    const r = await loadNpyDataset({ images: f['x.npy']! });
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /looks channels-last; .*np\.transpose\(x, \(0, 3, 1, 2\)\)/);
  });
  it('lists every problem at once: float range, label count, label values', async () => {
    const f = files({ 'x.npy': npy('<f4', [2, 1, 1], new Float32Array([0, 255])), 'y.npy': npy('<i4', [3], new Int32Array([0, -1, 2])) });
    const r = await loadNpyDataset({ images: f['x.npy']!, labels: f['y.npy']! });
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /must lie in \[-1, 1\], got values from 0 to 255 .*; .*holds 3 labels for 2 images; .*non-negative integers, got -1 at index 1/);
  });
  it('refuses non-finite values, other dtypes, bad ranks and unreadable files', async () => {
    const f = files({
      'nan.npy': npy('<f4', [1, 1, 1], new Float32Array([NaN])),
      'i4.npy': npy('<i4', [1, 1, 1], new Int32Array([1])),
      'rank2.npy': npy('|u1', [2, 2], new Uint8Array(4)),
    });
    const messages = await Promise.all(
      [f['nan.npy']!, f['i4.npy']!, f['rank2.npy']!, path.join(path.dirname(f['nan.npy']!), 'missing.npy')].map(async (images) => {
        const r = await loadNpyDataset({ images });
        assert.ok(E.isLeft(r));
        return r.left.message;
      }),
    );
    assert.match(messages[0]!, /non-finite value NaN at flat index 0/);
    assert.match(messages[1]!, /must be float32 or uint8, got i4/);
    assert.match(messages[2]!, /\[N, H, W\] or \[N, C, H, W\].*got shape \(2, 2\)/);
    assert.match(messages[3]!, /cannot read .*missing\.npy/);
  });
});
