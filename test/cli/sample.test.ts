/**
 * `puregan sample --class` on a conditional run (mnist-acgan, 2 steps), `--traverse` on an
 * InfoGAN run (mnist-infogan with tiny networks, 2 steps) and both on an unconditional one, as
 * child processes; the grids are compared with the generator run in-process. And `export` of
 * the conditional and InfoGAN runs: the loaded generator draws the grid `sample` draws.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { key } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { decodePng } from '../../src/node/png.js';
import { writeSampleImage } from '../../src/node/run_dir.js';
import { loadRunGenerator } from '../../src/node/run_generator.js';
import { loadGenerator, type LoadedGenerator } from '../../src/train/generator_file.js';
import { traversalInputs } from '../../src/train/latent_codes.js';
import { cyclicLabels, generate, sampleLatents } from '../../src/train/sampling.js';
import { tempDir } from '../helpers/temp_dir.js';

useBackend(referenceBackend);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });

const dir = tempDir('sample');
const acgan = join(dir, 'acgan');
const plain = join(dir, 'plain');
const info = join(dir, 'infogan');

/** mnist-infogan with tiny networks: G Linear(64 + 12 → 784) → [1, 28, 28] → Tanh; D Flatten → Linear 16 → LeakyReLU, heads Linear 16 → 1 and 16 → 12. */
const TINY_INFOGAN = {
  generator: [{ type: 'linear', in: 76, out: 784 }, { type: 'reshape', shape: [1, 28, 28] }, { type: 'tanh' }],
  discriminator: [{ type: 'flatten' }, { type: 'linear', in: 784, out: 16 }, { type: 'leaky_relu', slope: 0.2 }],
  heads: [[{ type: 'linear', in: 16, out: 1 }], [{ type: 'linear', in: 16, out: 12 }]],
};

/** PNG bytes of `x` written as a sample grid. */
async function pngOf(x: Tensor, columns?: number): Promise<Buffer> {
  const file = join(dir, `expected-${Math.random().toString(36).slice(2)}.png`);
  const r = await writeSampleImage(file, x, columns === undefined ? {} : { columns });
  assert.ok(E.isRight(r));
  return readFileSync(file);
}

/** The run's generator exported with `puregan export` and loaded back with `loadGenerator`. */
function exported(runDir: string): LoadedGenerator {
  const file = join(runDir, 'G.safetensors');
  const r = run('export', '--run', runDir, '--out', file);
  assert.equal(r.status, 0, r.stderr);
  const g = loadGenerator(new Uint8Array(readFileSync(file)));
  assert.ok(E.isRight(g), E.isLeft(g) ? g.left.message : '');
  return g.right;
}

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
    const tiny = join(dir, 'tiny-infogan.json');
    writeFileSync(tiny, JSON.stringify(TINY_INFOGAN));
    for (const [preset, out, ...more] of [['mnist-acgan', acgan], ['gaussians-8', plain], ['mnist-infogan', info, '--config', tiny]] as const) {
      const r = run('train', '--preset', preset, '--out', out, '--backend', 'reference', '--steps', '2', '--batch', '8', '--quiet', ...more);
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

describe('puregan sample --traverse', () => {
  /** The traversal grid the library draws from the InfoGAN run's generator (seed 0). */
  async function expectedTraversal(code: string, rows: number): Promise<Buffer> {
    const loaded = await loadRunGenerator(info);
    assert.ok(E.isRight(loaded));
    const { resolved, g } = loaded.right;
    const { z, columns } = traversalInputs({ latent: resolved.run.latent, infogan: resolved.train.techniques.infogan!, key: key(0), rows, code });
    return pngOf(generate(resolved.train.generator, g, z), columns);
  }

  it('--traverse cat0 draws --n rows, one column per value of the 10-value code: the library\'s traversal grid', async () => {
    const out = join(dir, 'cat0.png');
    const r = run('sample', '--run', info, '--traverse', 'cat0', '--n', '3', '--out', out, '--backend', 'reference');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /30 samples from step 2/);
    const png = decodePng(readFileSync(out));
    assert.ok(E.isRight(png));
    assert.deepEqual([png.right.width, png.right.height], [10 * 30 + 2, 3 * 30 + 2]);
    assert.deepEqual(readFileSync(out), await expectedTraversal('cat0', 3));
  });

  it('--traverse cont1 has 9 columns (linspace over [-2, 2]), and differs from cont0\'s grid', async () => {
    const out = join(dir, 'cont1.png');
    assert.equal(run('sample', '--run', info, '--traverse', 'cont1', '--n', '2', '--out', out, '--backend', 'reference').status, 0);
    const png = decodePng(readFileSync(out));
    assert.ok(E.isRight(png));
    assert.deepEqual([png.right.width, png.right.height], [9 * 30 + 2, 2 * 30 + 2]);
    assert.deepEqual(readFileSync(out), await expectedTraversal('cont1', 2));
    assert.notDeepEqual(readFileSync(out), await expectedTraversal('cont0', 2));
  });

  it('refuses an unknown code, naming the run\'s codes, and --traverse on a run without codes, with one line and exit 1', () => {
    const r = run('sample', '--run', info, '--traverse', 'cont2', '--backend', 'reference');
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim(), 'puregan sample: ValueError: unknown InfoGAN code "cont2"; this run\'s codes: cat0 (10 values), cont0 (continuous), cont1 (continuous)');
    for (const other of [plain, acgan]) {
      const p = run('sample', '--run', other, '--traverse', 'cat0', '--backend', 'reference');
      assert.equal(p.status, 1);
      assert.match(p.stderr.trim(), /^puregan sample: ValueError: --traverse: the run in .* has no InfoGAN codes \(its config has no infogan\)$/);
    }
  });

  it('refuses --traverse with --interpolate or --class all with exit 2', () => {
    for (const more of [['--interpolate', '4'], ['--class', 'all']]) {
      const r = run('sample', '--run', info, '--traverse', 'cat0', ...more, '--backend', 'reference');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--traverse and --(interpolate|class all) both choose the (columns|rows)/);
    }
  });
});

describe('puregan export of conditional and InfoGAN runs', () => {
  it('a loaded mnist-acgan generator takes labels and draws the grid puregan sample draws, bit for bit', async () => {
    const out = join(dir, 'acgan-6.png');
    assert.equal(run('sample', '--run', acgan, '--n', '6', '--out', out, '--backend', 'reference').status, 0);
    const g = exported(acgan);
    assert.equal(g.classes, 10);
    const z = g.drawInputs(key(0), 6);
    assert.deepEqual(readFileSync(out), await pngOf(g.sample(z, { labels: cyclicLabels(6, 10) })));
    assert.throws(() => g.sample(z), (e: unknown) => e instanceof ValueError && /class-conditional \(10 classes\): pass labels/.test(e.message));
    assert.throws(() => g.sample(z, { labels: tensor([6], [0, 1, 2, 3, 4, 10]) }), (e: unknown) => e instanceof ValueError && /labels\[5\] is 10/.test(e.message));
  });

  it('a loaded InfoGAN generator takes its codes in z and draws the grid puregan sample draws, bit for bit', async () => {
    const out = join(dir, 'info-6.png');
    assert.equal(run('sample', '--run', info, '--n', '6', '--out', out, '--backend', 'reference').status, 0);
    const g = exported(info);
    assert.deepEqual([g.inputDim, g.infogan], [76, { categorical: [10], continuous: 2 }]);
    assert.deepEqual(readFileSync(out), await pngOf(g.sample(g.drawInputs(key(0), 6))));
    assert.throws(
      () => g.sample(sampleLatents(g.latent, key(0), 6)),
      (e: unknown) => e instanceof ShapeError && /takes z \[N, 76\] \(64 noise, then the InfoGAN codes cat0 \(10 values\), cont0 \(continuous\), cont1 \(continuous\)\), got \[6, 64\]/.test(e.message),
    );
  });
});
