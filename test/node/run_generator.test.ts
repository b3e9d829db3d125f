/**
 * `loadRunGenerator` on a run that keeps an EMA copy of G (gaussians-8 with `ema`, 3 steps,
 * trained by the CLI in a child process): it returns the EMA params by default, the live ones
 * with `ema: false`, both with the live G's layer state.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { treeLeaves } from '../../src/core/pytree.js';
import type { Tensor } from '../../src/core/tensor.js';
import { loadCheckpoint } from '../../src/node/checkpoint.js';
import { runPaths } from '../../src/node/run_dir.js';
import { loadRunGenerator } from '../../src/node/run_generator.js';
import type { RunState } from '../../src/train/loop.js';
import { tempDir } from '../helpers/temp_dir.js';

useBackend(referenceBackend);

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const dir = tempDir('run-generator');
const run = join(dir, 'ema');

const values = (tree: unknown): number[] => treeLeaves(tree).flatMap((t) => (typeof t === 'number' ? [t] : [...(t as Tensor).data]));

describe('loadRunGenerator on a run with EMA', () => {
  let saved: RunState['train'];
  before(async () => {
    const config = join(dir, 'ema.json');
    writeFileSync(config, JSON.stringify({ ema: { decay: 0.5, start: 0 } }));
    const r = spawnSync(process.execPath, [cli, 'train', '--preset', 'gaussians-8', '--config', config, '--out', run, '--backend', 'reference', '--steps', '3', '--batch', '8', '--quiet'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const ck = await loadCheckpoint({ dir: runPaths(run).checkpoints });
    assert.ok(E.isRight(ck), E.isLeft(ck) ? ck.left.message : '');
    saved = (ck.right.tree as RunState).train;
  });

  it('returns the EMA params of the checkpoint by default, and they differ from the live ones', async () => {
    const loaded = await loadRunGenerator(run);
    assert.ok(E.isRight(loaded), E.isLeft(loaded) ? loaded.left.message : '');
    assert.ok(saved.ema !== undefined, 'the checkpoint keeps no EMA copy');
    assert.deepEqual(values(loaded.right.g.params), values(saved.ema.params));
    assert.notDeepEqual(values(saved.ema.params), values(saved.g.params));
  });

  it('returns the live params with ema: false, and the live layer state either way', async () => {
    const live = await loadRunGenerator(run, { ema: false });
    assert.ok(E.isRight(live), E.isLeft(live) ? live.left.message : '');
    assert.deepEqual(values(live.right.g.params), values(saved.g.params));
    assert.deepEqual(values(live.right.g.state), values(saved.g.state));
  });
});
