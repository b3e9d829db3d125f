import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { bestCheckpointDir, listCheckpointSteps, loadCheckpoint, saveBestCheckpoint, saveCheckpoint } from '../../src/node/checkpoint.js';
import { ValueError } from '../../src/core/errors.js';
import { tensor, zeros, type Tensor } from '../../src/core/tensor.js';
import { key, normal } from '../../src/core/random.js';
import { runAndKillMidWrite } from '../helpers/crash.js';
import { bitsOf, tinyConfig } from '../helpers/tiny_gan.js';
import { initTrainState } from '../../src/train/state.js';
import { tempDir } from '../helpers/temp_dir.js';


/** A small train-state-like tree: params, layer state, optimiser state, key, step and data position. */
const stateAt = (step: number) => ({
  step,
  key: key(step),
  g: { params: [{ weight: normal(key(step + 100), [3, 2]), bias: zeros([3]) }], state: [{ runningMean: zeros([3]), runningVar: tensor([3], [1, 1, 1]) }], opt: { count: step, mu: [{ weight: zeros([3, 2]), bias: zeros([3]) }] } },
  data: { epoch: 2, position: 64 },
  lr: 2e-4,
});

const bits = (t: Tensor): number[] => [...new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)];

async function load(dir: string, step?: number) {
  const r = await loadCheckpoint({ dir, ...(step === undefined ? {} : { step }) });
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  return r.right;
}

async function save(dir: string, step: number, keep = 3) {
  const r = await saveCheckpoint({ dir, step, tree: stateAt(step), keep, metadata: { config: '{"preset":"test"}' } });
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
  return r.right;
}

describe('checkpoints', () => {
  it('loads back the whole tree bit for bit, with its step and metadata', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 7);
    const c = await load(dir);
    const want = stateAt(7);
    assert.equal(c.step, 7);
    assert.deepEqual(c.metadata, { config: '{"preset":"test"}' });
    const got = c.tree as typeof want;
    assert.deepEqual(got.key, want.key);
    assert.deepEqual(got.data, want.data);
    assert.equal(got.lr, want.lr);
    assert.equal(got.g.opt.count, 7);
    assert.deepEqual(bits(got.g.params[0]!.weight), bits(want.g.params[0]!.weight));
    assert.deepEqual(got.g.state[0]!.runningVar.shape, [3]);
  });
  it("round-trips makeTrainStep's TrainState bit for bit and accepts it as `like`", async () => {
    const dir = tempDir('ckpt');
    const s = initTrainState(tinyConfig(), key(3));
    assert.ok(E.isRight(await saveCheckpoint({ dir, step: 0, tree: s })));
    const r = await loadCheckpoint({ dir, like: s });
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    assert.deepEqual(bitsOf(r.right.tree), bitsOf(s));
  });
  it('keeps the newest K checkpoints and nothing else in the directory', async () => {
    const dir = tempDir('ckpt');
    for (const step of [1, 2, 3, 4, 5]) await save(dir, step, 2);
    const steps = await listCheckpointSteps(dir);
    assert.ok(E.isRight(steps));
    assert.deepEqual(steps.right, [4, 5]);
    const names = readdirSync(dir).sort();
    assert.equal(names.length, 4);
    assert.match(names.join(' '), /^step-00000004-[0-9a-f]{8}\.safetensors step-00000004\.json step-00000005-[0-9a-f]{8}\.safetensors step-00000005\.json$/);
    assert.equal((await load(dir, 4)).step, 4);
  });
  it('loads an older step on request and names the steps there are when asked for a missing one', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    await save(dir, 2);
    assert.equal((await load(dir, 1)).step, 1);
    const r = await loadCheckpoint({ dir, step: 9 });
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /no checkpoint of step 9 .*steps 1, 2/);
    const none = await loadCheckpoint({ dir: path.join(dir, 'nothing') });
    assert.ok(E.isLeft(none));
    assert.match(none.left.message, /^no checkpoint in /);
  });
  it('saving the same step again replaces it and removes the old data file', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 3);
    const r = await saveCheckpoint({ dir, step: 3, tree: { other: 1 } });
    assert.ok(E.isRight(r));
    assert.deepEqual((await load(dir)).tree, { other: 1 });
    assert.equal(readdirSync(dir).length, 2);
  });
  it('refuses a tree holding NaN or ±∞, naming where, and keeps the previous checkpoint', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    const bad = { ...stateAt(2), g: { params: [{ weight: tensor([2], [0, NaN]) }] } };
    const r = await saveCheckpoint({ dir, step: 2, tree: bad });
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /refusing to checkpoint step 2: g\.params\[0\]\.weight has NaN at flat index 1/);
    const r2 = await saveCheckpoint({ dir, step: 2, tree: { lr: Infinity } });
    assert.ok(E.isLeft(r2));
    assert.match(r2.left.message, /lr is Infinity/);
    assert.equal((await load(dir)).step, 1);
  });
  it('rejects a misspelt option, naming the right one, before writing anything', async () => {
    const dir = tempDir('ckpt');
    const r = await saveCheckpoint({ dir, step: 1, tree: {}, Keep: 1 } as never);
    assert.ok(E.isLeft(r));
    assert.match(r.left.message, /saveCheckpoint: unknown option "Keep" \(did you mean "keep"\?\)/);
    const l = await loadCheckpoint({ dir, steps: 1 } as never);
    assert.ok(E.isLeft(l));
    assert.match(l.left.message, /loadCheckpoint: unknown option "steps"/);
    assert.deepEqual(readdirSync(dir), []);
  });
  it('rejects bad steps and keep counts before writing anything', async () => {
    const dir = tempDir('ckpt');
    for (const [step, keep] of [[-1, 3], [1.5, 3], [1, 0]] as const) {
      const r = await saveCheckpoint({ dir, step, tree: {}, keep });
      assert.ok(E.isLeft(r));
      assert.equal(r.left.tag, 'ValueError');
    }
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('checkpoints: damaged files', () => {
  const dataFile = (dir: string): string => path.join(dir, readdirSync(dir).find((n) => n.endsWith('.safetensors'))!);
  const expectError = async (dir: string, pattern: RegExp, like?: unknown) => {
    const r = await loadCheckpoint({ dir, ...(like === undefined ? {} : { like }) });
    assert.ok(E.isLeft(r), 'expected an error');
    assert.match(r.left.message, pattern);
    assert.ok(!r.left.message.includes('\n'));
  };
  it('reports a flipped byte as a sha256 mismatch', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    const f = dataFile(dir);
    const b = readFileSync(f);
    b[b.length - 1] = b[b.length - 1]! ^ 1;
    writeFileSync(f, b);
    await expectError(dir, /is corrupt: its sha256 does not match step-00000001\.json/);
  });
  it('reports a truncated data file with its size', async () => {
    const dir = tempDir('ckpt');
    const info = await save(dir, 1);
    truncateSync(dataFile(dir), 100);
    await expectError(dir, new RegExp(`is truncated: 100 bytes, expected ${info.bytes}`));
  });
  it('reports a missing data file', async () => {
    const dir = tempDir('ckpt');
    const info = await save(dir, 1);
    writeFileSync(info.sidecar, readFileSync(info.sidecar, 'utf8').replace(/-[0-9a-f]{8}\.safetensors/, '-00000000.safetensors'));
    await expectError(dir, /cannot read checkpoint .*ENOENT/);
  });
  it('refuses a sidecar that is not JSON, of another format, or pointing outside the directory', async () => {
    const dir = tempDir('ckpt');
    const info = await save(dir, 1);
    const good = readFileSync(info.sidecar, 'utf8');
    writeFileSync(info.sidecar, '{');
    await expectError(dir, /step-00000001\.json is corrupt: it is not valid JSON/);
    writeFileSync(info.sidecar, good.replace('puregan-checkpoint/1', 'x'));
    await expectError(dir, /format is "x"/);
    writeFileSync(info.sidecar, good.replace(/"file": "[^"]+"/, '"file": "../../etc/passwd"'));
    await expectError(dir, /"file" must be a data file name of step 1 in the same directory/);
    writeFileSync(info.sidecar, good.replace('"step": 1', '"step": 2'));
    await expectError(dir, /records step 2 but its name says 1/);
  });
  it('refuses a checkpoint of another structure, listing every difference', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    const like = { ...stateAt(0), g: { ...stateAt(0).g, params: [{ weight: zeros([4, 2]), bias: zeros([3]) }] }, ema: { w: zeros([1]) } };
    await expectError(dir, /does not match this configuration: g\.params\[0\]\.weight: shape \[3, 2\], expected \[4, 2\]; ema: missing/, like);
    assert.equal((await loadCheckpoint({ dir, like: stateAt(0) }))._tag, 'Right');
  });
});

describe('checkpoints: crashes', () => {
  const crashSave = (dir: string, step: number, crashOnWrite: number) =>
    runAndKillMidWrite(
      `const { saveCheckpoint } = await import(MODULE);
       await saveCheckpoint({ dir: ${JSON.stringify(dir)}, step: ${step}, tree: { w: new Float32Array(0).length, big: { shape: [1 << 18], data: new Float32Array(1 << 18) } } });`,
      crashOnWrite,
    );
  it('a kill while writing the data file leaves the previous checkpoint as the newest, and the next save cleans up', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    await crashSave(dir, 2, 1);
    assert.ok(readdirSync(dir).some((n) => n.includes('.tmp-')), 'the crash left a temporary file');
    assert.equal((await load(dir)).step, 1);
    await save(dir, 3);
    assert.equal(readdirSync(dir).filter((n) => n.includes('.tmp-')).length, 0);
    assert.deepEqual(E.getOrElseW(() => [])(await listCheckpointSteps(dir)), [1, 3]);
  });
  it('a kill while writing the sidecar leaves the previous checkpoint as the newest, and the next save removes the orphan', async () => {
    const dir = tempDir('ckpt');
    await save(dir, 1);
    await crashSave(dir, 2, 2);
    assert.equal(readdirSync(dir).filter((n) => n.startsWith('step-00000002-')).length, 1, 'the data file of step 2 was complete');
    assert.equal((await load(dir)).step, 1);
    await save(dir, 3);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('step-00000002')), []);
  });
});

describe('the best checkpoint', () => {
  it('keeps one best checkpoint in <dir>/best, beside the latest ones, with its metric in the metadata', async () => {
    const dir = tempDir('ckpt');
    for (const step of [100, 200, 300]) await save(dir, step);
    const r1 = await saveBestCheckpoint({ dir, step: 100, tree: stateAt(100), metric: { name: 'frechetDistance', value: 40.5 } });
    const r2 = await saveBestCheckpoint({ dir, step: 200, tree: stateAt(200), metric: { name: 'frechetDistance', value: 31.25 } });
    assert.ok(E.isRight(r1) && E.isRight(r2));
    const steps = await listCheckpointSteps(bestCheckpointDir(dir));
    assert.deepEqual(steps, E.right([200]));
    const best = await load(bestCheckpointDir(dir));
    assert.equal(best.step, 200);
    assert.deepEqual(bitsOf(best.tree), bitsOf(stateAt(200)));
    assert.equal(best.metadata['best.metric'], 'frechetDistance');
    assert.equal(Number(best.metadata['best.value']), 31.25);
    assert.deepEqual(await listCheckpointSteps(dir), E.right([100, 200, 300]));
    assert.equal((await load(dir)).step, 300);
  });

  it('survives the rotation of the latest checkpoints', async () => {
    const dir = tempDir('ckpt');
    await saveBestCheckpoint({ dir, step: 1, tree: stateAt(1), metric: { name: 'frechetDistance', value: 1 } });
    for (const step of [2, 3, 4, 5]) await save(dir, step, 2);
    assert.deepEqual(await listCheckpointSteps(dir), E.right([4, 5]));
    assert.equal((await load(bestCheckpointDir(dir))).step, 1);
  });

  it('refuses a non-finite metric with a ValueError and writes nothing', async () => {
    const dir = tempDir('ckpt');
    const r = await saveBestCheckpoint({ dir, step: 1, tree: stateAt(1), metric: { name: 'frechetDistance', value: NaN } });
    assert.ok(E.isLeft(r) && r.left instanceof ValueError);
    assert.deepEqual(await listCheckpointSteps(bestCheckpointDir(dir)), E.right([]));
  });
});
