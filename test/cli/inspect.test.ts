/** `puregan inspect` as a user meets it: the CLI in a child process, exit codes and output. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { tensor } from '../../src/core/tensor.js';
import { tempDir } from '../helpers/temp_dir.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'inspect', ...args], { encoding: 'utf8', timeout: 60_000 });

const dir = tempDir('inspect');
const file = path.join(dir, 'g.safetensors');
const weight = new Float32Array([1, 2, 3, 4, 5, 6]);
writeFileSync(
  file,
  serializeSafetensors(
    { '0.weight': tensor([2, 3], weight), '1.running_mean': { dtype: 'U8', shape: [2], data: new Uint8Array([7, 8]) } },
    { format: 'pt', note: 'x'.repeat(300) },
  ),
);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('puregan inspect', () => {
  it('prints every tensor with dtype, shape and the sha256 of its bytes, and the metadata', () => {
    const r = run(file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /g\.safetensors: 2 tensors, 8 elements, \d+ bytes/);
    assert.match(r.stdout, new RegExp(`0\\.weight\\s+F32\\s+\\[2, 3\\]\\s+${sha(new Uint8Array(weight.buffer)).slice(0, 16)}`));
    assert.match(r.stdout, new RegExp(`1\\.running_mean\\s+U8\\s+\\[2\\]\\s+${sha(new Uint8Array([7, 8])).slice(0, 16)}`));
    assert.match(r.stdout, /format: "pt"/);
    assert.match(r.stdout, /note: "x+… \(302 characters; --json shows all\)/);
  });
  it('prints one JSON object with --json, metadata in full', () => {
    const r = run(file, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { tensors: { name: string; dtype: string; shape: number[]; bytes: number; sha256: string }[]; metadata: Record<string, string> };
    assert.deepEqual(j.tensors[0], { name: '0.weight', dtype: 'F32', shape: [2, 3], bytes: 24, sha256: sha(new Uint8Array(weight.buffer)) });
    assert.equal(j.metadata['note']!.length, 300);
  });
  it('reports a bad or missing file in one line on stderr with exit code 1', () => {
    const bad = path.join(dir, 'bad.safetensors');
    writeFileSync(bad, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    const r = run(bad);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, /^puregan inspect: ParseError: .*bad\.safetensors: safetensors: the header length 200 runs past the end of the file/);
    const missing = run(path.join(dir, 'nope.safetensors'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*nope\.safetensors/);
  });
  it('rejects a missing file argument and unknown flags with exit code 2', () => {
    const r = run('--jsn');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--jsn/);
    assert.equal(run(file, file).status, 2);
  });
});
