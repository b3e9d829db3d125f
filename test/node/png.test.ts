import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { PNG } from 'pngjs';
import { decodePng, encodePng, sampleGrid, writeSampleGrid } from '../../src/node/png.js';
import { tensor } from '../../src/core/tensor.js';
import { tempDir } from '../helpers/temp_dir.js';

/** Width, height, bit depth and colour type from a PNG's IHDR chunk, read by hand. */
function ihdr(b: Uint8Array): [number, number, number, number] {
  assert.deepEqual([...b.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.equal(new TextDecoder().decode(b.subarray(12, 16)), 'IHDR');
  const v = new DataView(b.buffer, b.byteOffset);
  return [v.getUint32(16), v.getUint32(20), b[24]!, b[25]!];
}

describe('PNG', () => {
  it('encodes grey as colour type 0 and RGB as colour type 2, 8 bits, with the right size', () => {
    assert.deepEqual(ihdr(encodePng({ width: 3, height: 2, channels: 1, data: new Uint8Array(6) })), [3, 2, 8, 0]);
    assert.deepEqual(ihdr(encodePng({ width: 1, height: 4, channels: 3, data: new Uint8Array(12) })), [1, 4, 8, 2]);
  });
  it('decodes what it encodes, grey and RGB, byte for byte', () => {
    const grey = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([0, 1, 127, 128, 254, 255]) };
    const rgb = { width: 2, height: 1, channels: 3 as const, data: new Uint8Array([255, 0, 10, 3, 200, 99]) };
    for (const img of [grey, rgb]) {
      const r = decodePng(encodePng(img));
      assert.ok(E.isRight(r));
      assert.deepEqual(r.right, img);
    }
  });
  it('composites transparency over black', () => {
    const png = new PNG({ width: 1, height: 1 });
    png.data.set([200, 100, 50, 128]);
    const r = decodePng(PNG.sync.write(png, { colorType: 6 }));
    assert.ok(E.isRight(r));
    assert.deepEqual([...r.right.data], [Math.round((200 * 128) / 255), Math.round((100 * 128) / 255), Math.round((50 * 128) / 255)]);
  });
  it('reports a file that is not a PNG, naming it', () => {
    const r = decodePng(new Uint8Array([1, 2, 3]), 'cat.png');
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /^cat\.png is not a readable PNG/);
  });
});

describe('sample grids', () => {
  it('lays out images as make_grid: padding 2 around and between, −1 → 0 and 1 → 255', () => {
    // Three 1-channel 1×2 images, two columns: width 2·(2+2)+2 = 10, height 2·(1+2)+2 = 8.
    const x = tensor([3, 1, 1, 2], [-1, 1, 0, 1, 1, -1]);
    const g = sampleGrid(x, { columns: 2 });
    assert.deepEqual([g.width, g.height, g.channels], [10, 8, 1]);
    const at = (px: number, py: number): number => g.data[py * 10 + px]!;
    assert.deepEqual([at(2, 2), at(3, 2)], [0, 255]);
    assert.deepEqual([at(6, 2), at(7, 2)], [128, 255]);
    assert.deepEqual([at(2, 5), at(3, 5)], [255, 0]);
    const imagePixels = new Set(['2,2', '3,2', '6,2', '7,2', '2,5', '3,5']);
    for (let py = 0; py < 8; py++) for (let px = 0; px < 10; px++) if (!imagePixels.has(`${px},${py}`)) assert.equal(at(px, py), 0, `padding at ${px},${py}`);
  });
  it('defaults to ⌈√N⌉ columns, keeps RGB channels and clamps values outside [−1, 1]', () => {
    const x = tensor([5, 3, 1, 1], [-2, 0, 2, ...new Array<number>(12).fill(0)]);
    const g = sampleGrid(x, { padding: 0 });
    assert.deepEqual([g.width, g.height, g.channels], [3, 2, 3]);
    assert.deepEqual([...g.data.subarray(0, 3)], [0, 128, 255]);
  });
  it('rejects a misspelt option', () => {
    assert.throws(() => sampleGrid(tensor([1, 1, 1, 1], [0]), { column: 2 } as never), /sampleGrid: unknown option "column"/);
  });
  it('rejects tensors that are not [N, 1|3, H, W]', () => {
    assert.throws(() => sampleGrid(tensor([1, 2, 1, 1], [0, 0])), /C = 1 or 3/);
    assert.throws(() => sampleGrid(tensor([2, 2], [0, 0, 0, 0])), /\[N, C, H, W\]/);
  });
  it('writes a grid as a PNG file that decodes to the grid', async () => {
    const file = path.join(tempDir('png'), 'grid.png');
    const x = tensor([4, 1, 2, 2], Array.from({ length: 16 }, (_, i) => i / 8 - 1));
    assert.ok(E.isRight(await writeSampleGrid(file, x)));
    const r = decodePng(readFileSync(file));
    assert.ok(E.isRight(r));
    assert.deepEqual(r.right, sampleGrid(x));
  });
});
