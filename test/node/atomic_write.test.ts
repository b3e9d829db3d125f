import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { atomicWriteFile } from '../../src/node/atomic_write.js';
import { runAndKillMidWrite } from '../helpers/crash.js';
import { tempDir } from '../helpers/temp_dir.js';


describe('atomicWriteFile', () => {
  it('writes a new file and replaces an existing one, leaving no temporary file', async () => {
    const dir = tempDir('atomic');
    const target = path.join(dir, 'a.bin');
    assert.ok(E.isRight(await atomicWriteFile(target, new Uint8Array([1, 2, 3]))));
    assert.deepEqual([...readFileSync(target)], [1, 2, 3]);
    assert.ok(E.isRight(await atomicWriteFile(target, new Uint8Array([9]))));
    assert.deepEqual([...readFileSync(target)], [9]);
    assert.deepEqual(readdirSync(dir), ['a.bin']);
  });
  it('returns an IoError naming the file when the directory does not exist', async () => {
    const target = path.join(tempDir('atomic'), 'missing', 'a.bin');
    const r = await atomicWriteFile(target, new Uint8Array([1]));
    assert.ok(E.isLeft(r));
    assert.equal(r.left.tag, 'IoError');
    assert.ok(r.left.message.includes(target));
  });
  it('keeps the old content and removes the temporary file when a write fails', async () => {
    const dir = tempDir('atomic');
    const target = path.join(dir, 'a.bin');
    writeFileSync(target, 'old');
    const probe = await fsp.open(path.join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...a: unknown[]) => Promise<unknown> };
    await probe.close();
    await fsp.rm(path.join(dir, 'probe'));
    const write = proto.write;
    proto.write = async () => {
      throw new Error('ENOSPC: no space left on device');
    };
    try {
      const r = await atomicWriteFile(target, new Uint8Array(100));
      assert.ok(E.isLeft(r));
      assert.match(r.left.message, /write failed \(ENOSPC/);
    } finally {
      proto.write = write;
    }
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['a.bin']);
  });
  it('leaves the old file intact when the process is killed in the middle of a write', async () => {
    const dir = tempDir('atomic');
    const target = path.join(dir, 'a.bin');
    writeFileSync(target, 'old content');
    await runAndKillMidWrite(
      `const { atomicWriteFile } = await import(MODULE);
       await atomicWriteFile(${JSON.stringify(target)}, new Uint8Array(1 << 20).fill(7));`,
      1,
    );
    assert.equal(readFileSync(target, 'utf8'), 'old content');
    const temps = readdirSync(dir).filter((n) => n !== 'a.bin');
    assert.equal(temps.length, 1, 'the half-written temporary file is what the crash left');
    assert.ok(temps[0]!.startsWith('.a.bin.tmp-'));
    assert.equal(readFileSync(path.join(dir, temps[0]!)).length, 1 << 19);
  });
});
