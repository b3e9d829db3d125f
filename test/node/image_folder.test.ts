import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { loadImageFolder } from '../../src/node/image_folder.js';
import { encodePng } from '../../src/node/png.js';
import { tempDir } from '../helpers/temp_dir.js';

const grey = (w: number, h: number, v: number) => encodePng({ width: w, height: h, channels: 1, data: new Uint8Array(w * h).fill(v) });
const rgb = (w: number, h: number, c: [number, number, number]) =>
  encodePng({ width: w, height: h, channels: 3, data: Uint8Array.from({ length: w * h * 3 }, (_, i) => c[i % 3]!) });

function put(dir: string, file: string, bytes: Uint8Array | string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), bytes);
}

describe('image folders', () => {
  it('numbers classes by sorted sub-folder name, as ImageFolder, finding images recursively', async () => {
    const dir = tempDir('folder');
    put(dir, 'dog/a.png', grey(2, 2, 255));
    put(dir, 'cat/b.png', grey(2, 2, 0));
    put(dir, 'cat/deeper/c.PNG', grey(2, 2, 51));
    put(dir, 'cat/notes.txt', 'not an image');
    const r = await loadImageFolder(dir);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const d = r.right;
    assert.deepEqual(d.classNames, ['cat', 'dog']);
    assert.equal(d.classes, 2);
    assert.deepEqual([...d.labels.data], [0, 0, 1]);
    assert.deepEqual(d.images.shape, [3, 1, 2, 2]);
    assert.deepEqual([d.images.data[0], d.images.data[4], d.images.data[8]], [-1, Math.fround(51 / 127.5 - 1), 1]);
  });
  it('numbers classes in sorted order whatever order the file system lists them in', async () => {
    const dir = tempDir('folder');
    const names = ['k', 'c', 'x', 'a', 'q', 'f', 'z', 'b', 'm', 'h', 'e', 'w'];
    names.forEach((n) => put(dir, `${n}/img.png`, grey(1, 1, n.charCodeAt(0))));
    const r = await loadImageFolder(dir);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const sorted = [...names].sort();
    assert.deepEqual(r.right.classNames, sorted);
    sorted.forEach((n, c) => {
      assert.equal(r.right.labels.data[c], c);
      assert.equal(r.right.images.data[c], Math.fround(n.charCodeAt(0) / 127.5 - 1));
    });
  });
  it('reads a folder without sub-folders as one class, and colour images as 3 channels [N, 3, H, W]', async () => {
    const dir = tempDir('folder');
    put(dir, 'x.png', rgb(3, 1, [255, 0, 0]));
    put(dir, 'y.png', rgb(3, 1, [0, 0, 255]));
    const r = await loadImageFolder(dir);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.equal(r.right.classes, 1);
    assert.deepEqual(r.right.images.shape, [2, 3, 1, 3]);
    assert.deepEqual([...r.right.images.data.subarray(0, 9)], [1, 1, 1, -1, -1, -1, -1, -1, -1]);
  });
  it('reads RGB files whose pixels are all grey as 1 channel, and forces channels on request', async () => {
    const dir = tempDir('folder');
    put(dir, 'a.png', rgb(1, 1, [51, 51, 51]));
    const auto = await loadImageFolder(dir);
    assert.ok(E.isRight(auto));
    assert.deepEqual(auto.right.images.shape, [1, 1, 1, 1]);
    const three = await loadImageFolder(dir, { channels: 3 });
    assert.ok(E.isRight(three));
    assert.deepEqual(three.right.images.shape, [1, 3, 1, 1]);
    put(dir, 'b.png', rgb(1, 1, [255, 0, 0]));
    const one = await loadImageFolder(dir, { channels: 1 });
    assert.ok(E.isRight(one));
    assert.equal(one.right.images.data[1], Math.fround(85 / 127.5 - 1));
  });
  it('lists every unreadable file, every image of another size and every empty class at once', async () => {
    const dir = tempDir('folder');
    put(dir, 'a/1.png', grey(4, 4, 0));
    put(dir, 'a/2.png', grey(5, 4, 0));
    put(dir, 'b/3.png', 'this is not a PNG');
    put(dir, 'b/4.png', grey(4, 3, 0));
    mkdirSync(path.join(dir, 'c'));
    const r = await loadImageFolder(dir);
    assert.ok(E.isLeft(r));
    const m = r.left.message;
    assert.match(m, /class folder c holds no PNG images/);
    assert.match(m, /b\/3\.png is not a readable PNG/);
    assert.match(m, /a\/2\.png is 5×4 but .*a\/1\.png is 4×4/);
    assert.match(m, /b\/4\.png is 4×3/);
    assert.ok(!m.includes('\n'));
  });
  it('rejects a misspelt option and a channel count other than 1, 3 or auto', async () => {
    const dir = tempDir('folder');
    put(dir, 'a.png', grey(1, 1, 0));
    const r = await loadImageFolder(dir, { channel: 1 } as never);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /unknown option "channel"/);
    const r2 = await loadImageFolder(dir, { channels: 2 } as never);
    assert.ok(E.isLeft(r2));
    assert.match(r2.left.message, /channels must be 1, 3 or "auto", got 2/);
  });
  it('says so when there are no images, and when the folder cannot be read', async () => {
    const dir = tempDir('folder');
    put(dir, 'cats/readme.txt', 'x');
    const r = await loadImageFolder(dir);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /^no PNG images in .* \(looked in its sub-folders cats\)/);
    const missing = await loadImageFolder(path.join(dir, 'nope'));
    assert.ok(E.isLeft(missing));
    assert.equal(missing.left.tag, 'IoError');
  });
});
