/**
 * `puregan sample --class` on a conditional run (mnist-acgan, 2 steps) and on an unconditional
 * one, as child processes; the grids are compared with the generator run in-process.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { key } from '../../src/core/random.js';
import { tensor } from '../../src/core/tensor.js';
import { writeSampleImage } from '../../src/node/run_dir.js';
import { loadRunGenerator } from '../../src/node/run_generator.js';
import { generate, sampleLatents } from '../../src/train/sampling.js';

useBackend(referenceBackend);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

const dir = mkdtempSync(join(tmpdir(), 'puregan-sample-'));
const acgan = join(dir, 'acgan');
const plain = join(dir, 'plain');

/** The grid the library draws from the run's generator for labels `y` (seed 0), as PNG bytes. */
async function expectedGrid(labels: readonly number[], columns?: number): Promise<Buffer> {
  const loaded = await loadRunGenerator(acgan);
  assert.ok(E.isRight(loaded));
  const { resolved, g } = loaded.right;
  const z = sampleLatents(resolved.run.latent, key(0), labels.length);
  const file = join(dir, `expected-${labels.length}-${labels[0]}.png`);
  const r = await writeSampleImage(file, generate(resolved.train.generator, g, z, tensor([labels.length], Float32Array.from(labels))), columns === undefined ? {} : { columns });
  assert.ok(E.isRight(r));
  return readFileSync(file);
}

describe('puregan sample --class', () => {
  before(() => {
    for (const [preset, out] of [['mnist-acgan', acgan], ['gaussians-8', plain]] as const) {
      const r = run('train', '--preset', preset, '--out', out, '--backend', 'reference', '--steps', '2', '--batch', '8', '--quiet');
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it('--class K draws every sample of class K (and the class changes the grid)', async () => {
    const out = join(dir, 'k3.png');
    assert.equal(run('sample', '--run', acgan, '--class', '3', '--n', '6', '--out', out, '--backend', 'reference').status, 0);
    assert.deepEqual(readFileSync(out), await expectedGrid([3, 3, 3, 3, 3, 3]));
    assert.notDeepEqual(readFileSync(out), await expectedGrid([4, 4, 4, 4, 4, 4]));
  });

  it('--class all draws one row of --n samples per class, class c in row c', async () => {
    const out = join(dir, 'all.png');
    assert.equal(run('sample', '--run', acgan, '--class', 'all', '--n', '2', '--out', out, '--backend', 'reference').status, 0);
    assert.deepEqual(readFileSync(out), await expectedGrid([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9], 2));
  });

  it('refuses --class for an unconditional run, and a class outside the run\'s classes, with one line and exit 1', () => {
    const r = run('sample', '--run', plain, '--class', '1', '--backend', 'reference');
    assert.equal(r.status, 1);
    assert.match(r.stderr.trim(), /^puregan sample: .*not class-conditional/);
    const k = run('sample', '--run', acgan, '--class', '10', '--backend', 'reference');
    assert.equal(k.status, 1);
    assert.match(k.stderr.trim(), /expected a class in \[0, 10\) or all, got 10$/);
  });

  it('refuses a --class that is neither a class id nor all with exit 2', () => {
    const r = run('sample', '--run', acgan, '--class', '-1', '--backend', 'reference');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--class: expected a class id \(an integer >= 0\) or all, got "-1"/);
  });
});
