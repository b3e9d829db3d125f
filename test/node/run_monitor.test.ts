import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from '../../src/backend/current.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { key } from '../../src/core/random.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { bestCheckpointDir, loadCheckpoint } from '../../src/node/checkpoint.js';
import { openRunMonitor } from '../../src/node/run_monitor.js';
import { loadRunGenerator } from '../../src/node/run_generator.js';
import { writeFileSync } from 'node:fs';
import { reportPaths } from '../../src/node/report/write_report.js';
import { initRunState, type RunState } from '../../src/train/loop.js';
import { PRESETS } from '../../src/train/presets.js';
import { mergeConfig, resolveRunConfig } from '../../src/train/run_config.js';
import { bitsOf } from '../helpers/tiny_gan.js';
import { tempDir } from '../helpers/temp_dir.js';

before(async () => useBackend(await loadWasmBackend({ threads: 2 })));

/** mnist-dcgan with a one-layer G (z [N, 64] → tanh(Linear) [N, 1, 28, 28]), so an evaluation is quick. */
const resolved = resolveRunConfig(mergeConfig(PRESETS['mnist-dcgan'], { generator: [{ type: 'linear', in: 64, out: 784 }, { type: 'reshape', shape: [1, 28, 28] }, { type: 'tanh' }] }));
assert.ok(E.isRight(resolved));
const { run: config, train } = resolved.right;

/** A run state whose G weights are scaled by `scale` (a different generator per scale). */
function stateWithScale(scale: number): RunState {
  const s = initRunState({ config: train, key: key(5), size: 128, batchSize: 64 });
  const [lin, ...rest] = s.train.g.params as [{ weight: Tensor; bias: Tensor }, ...unknown[]];
  const scaled = { weight: tensor(lin.weight.shape, lin.weight.data.map((v) => v * scale)), bias: lin.bias };
  return { ...s, train: { ...s.train, g: { ...s.train.g, params: [scaled, ...rest] } } };
}

const records = (dir: string): Record<string, unknown>[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('openRunMonitor on an MNIST run', () => {
  it('keeps as best checkpoint the evaluated state with the lowest FD, and writes each evaluation to metrics.jsonl', async () => {
    const dir = tempDir('monitor');
    const notes: string[] = [];
    const m = await openRunMonitor({ dir, config, train, runKey: key(0), note: (l) => notes.push(l), report: false, evalSamples: 120 });
    assert.ok(E.isRight(m));
    const states = new Map([10, 20, 30, 40].map((step, i) => [step, stateWithScale([0.05, 1, 3, 1][i]!)]));
    for (const [step, s] of states) await m.right.evaluate(s, step, { full: step === 40 });
    const evals = records(dir).filter((r) => r.eval !== undefined) as { step: number; eval: Record<string, number> }[];
    assert.deepEqual(evals.map((e) => e.step), [10, 20, 30, 40]);
    const fds = evals.map((e) => e.eval.frechetDistance!);
    const bestStep = evals[fds.indexOf(Math.min(...fds))]!.step;
    const best = await loadCheckpoint({ dir: bestCheckpointDir(join(dir, 'checkpoints')) });
    assert.ok(E.isRight(best));
    assert.equal(best.right.step, bestStep);
    assert.deepEqual(bitsOf(best.right.tree), bitsOf(states.get(bestStep)));
    assert.equal(Number(best.right.metadata['best.value']), Math.min(...fds));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const g = await loadRunGenerator(dir, { which: 'best' });
    assert.ok(E.isRight(g), E.isLeft(g) ? g.left.message : '');
    assert.equal(g.right.step, bestStep);
    assert.equal(bestStep, 20, `FDs ${fds.join(', ')}: the second state (scale 1) is the best, and the fourth (the same G) does not replace it`);
    assert.equal(evals[0]!.eval.n, 120);
    assert.equal(evals[0]!.eval.precision, undefined);
    assert.equal(typeof evals[3]!.eval.precision, 'number');
    assert.equal(typeof evals[3]!.eval.kernelDistance, 'number');
    assert.equal(notes.filter((l) => /FD .* the floor/.test(l)).length, 4);
    await m.right.close();
  });

  it('writes a warning record once, the first time its rule holds, and marks the run live until closed', async () => {
    const dir = tempDir('monitor');
    const m = await openRunMonitor({ dir, config, train, runKey: key(0), note: () => undefined, report: false });
    assert.ok(E.isRight(m));
    assert.ok(readFileSync(reportPaths(dir).live, 'utf8').length > 0);
    for (let i = 1; i <= 25; i++) {
      await m.right.log({ step: 25 * i, metrics: { d_loss: 0.7, g_loss: 1, grad_norm_d: 1, grad_norm_g: i > 15 ? 1e-5 : 1 } }, i);
    }
    const warnings = records(dir).filter((r) => r.warning !== undefined);
    assert.equal(warnings.length, 1);
    assert.deepEqual((warnings[0]!.warning as { kind: string; subject: string }).kind, 'grad-vanishing');
    await m.right.close();
    assert.throws(() => readFileSync(reportPaths(dir).live));
  });
});
