import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, key } from '../../src/core/random.js';
import { nextBatch, takeRows } from '../../src/data/iterate.js';
import { withHeads } from '../../src/nn/heads.js';
import { ConcatLabelEmbedding } from '../../src/nn/label_concat.js';
import { makeTrainStep } from '../../src/train/iteration.js';
import { item, tensor } from '../../src/core/tensor.js';
import { ring8, sampleMixture } from '../../src/data/gaussians.js';
import { decodePytree, encodePytree } from '../../src/io/pytree_file.js';
import { BatchNorm, LeakyReLU, Linear, ReLU, sequential, spectralNorm } from '../../src/nn/index.js';
import { adam } from '../../src/optim/index.js';
import { exponentialDecay } from '../../src/optim/schedules.js';
import type { TrainConfig } from '../../src/train/config.js';
import { fit, initRunState, runStep, type LogEvent, type RunState } from '../../src/train/loop.js';
import { bitsOf } from '../helpers/tiny_gan.js';
import { Dropout } from '../../src/nn/dropout.js';
import { treeLeaves } from '../../src/core/pytree.js';
import { concrete } from '../../src/ops/dispatch.js';
import { assertClose } from '../helpers/assert_close.js';

/** Runs `f` with jit's debug messages on (PUREGAN_JIT_DEBUG), collecting them. */
async function withJitDebug<T>(f: () => Promise<T>): Promise<{ value: T; messages: string[] }> {
  const messages: string[] = [];
  const saved = { env: process.env['PUREGAN_JIT_DEBUG'], debug: console.debug };
  process.env['PUREGAN_JIT_DEBUG'] = '1';
  console.debug = (m: unknown) => void messages.push(String(m));
  try {
    return { value: await f(), messages };
  } finally {
    console.debug = saved.debug;
    if (saved.env === undefined) delete process.env['PUREGAN_JIT_DEBUG'];
    else process.env['PUREGAN_JIT_DEBUG'] = saved.env;
  }
}

/** Every leaf of a and b equal within float32 rounding of a few fused operations (`assertClose` per tensor leaf). */
function assertTreeClose(a: unknown, b: unknown): void {
  const la = treeLeaves(a);
  const lb = treeLeaves(b);
  assert.equal(la.length, lb.length);
  la.forEach((x, i) => {
    const y = lb[i]!;
    if (typeof x === 'number' || typeof y === 'number') return assert.equal(x, y);
    assertClose(concrete(x), concrete(y).data, 1e-5, `leaf ${i}`);
  });
}

/**
 * Batch norm in G, spectral norm in D, nDis = 2, a decaying learning rate on both players, an
 * EMA of G from iteration 2 and a replay buffer of 12 fakes (16 written per iteration, so it
 * wraps around).
 */
function resumeConfig(): TrainConfig {
  const lr = exponentialDecay({ init: 2e-3, transitionSteps: 2, decayRate: 0.7 });
  return {
    generator: sequential(Linear(8), BatchNorm(), ReLU(), Linear(2)),
    discriminator: sequential(spectralNorm(Linear(8)), LeakyReLU(0.2), spectralNorm(Linear(1))),
    latent: { dim: 3, prior: 'normal' },
    dataShape: [2],
    loss: 'hinge',
    nDis: 2,
    optimizers: { g: adam(lr, { b1: 0.5 }), d: adam(lr, { b1: 0.5 }) },
    ema: { decay: 0.8, start: 2 },
    replay: { capacity: 12, fraction: 0.25 },
  };
}

const data = { x: sampleMixture(ring8, key(7), 40) };
const base = { data, batchSize: 8, key: key(3) } as const;

/** Through the checkpoint's file format and back, as a resumed run gets it. */
const throughFile = (run: RunState): RunState => {
  const decoded = decodePytree(encodePytree(run));
  assert.ok(decoded._tag === 'Right');
  return decoded.right.tree as RunState;
};

describe('fit', () => {
  it('runs to the total step count and reports each step to onLog', async () => {
    const logged: number[] = [];
    const r = await fit({ ...base, config: resumeConfig(), steps: 5, hooks: { onLog: (e) => void logged.push(e.step) } });
    assert.equal(r.stopped, 'steps');
    assert.equal(r.step, 5);
    assert.equal(runStep(r.state), 5);
    assert.deepEqual(logged, [1, 2, 3, 4, 5]);
  });

  it('stopped through the AbortSignal after N steps and resumed to 2N, ends in the uninterrupted run\'s state bit for bit: params, optimiser and layer state, EMA, replay buffer, keys and data order', async () => {
    const whole = await fit({ ...base, config: resumeConfig(), steps: 8 });
    const controller = new AbortController();
    let saved: RunState | undefined;
    const first = await fit({
      ...base,
      config: resumeConfig(),
      steps: 8,
      signal: controller.signal,
      hooks: {
        onLog: (e: LogEvent) => (e.step === 4 ? controller.abort() : undefined),
        onCheckpoint: (run) => void (saved = throughFile(run)),
      },
    });
    assert.equal(first.stopped, 'aborted');
    assert.equal(first.step, 4);
    assert.ok(saved);
    const resumed = await fit({ data, batchSize: 8, config: resumeConfig(), steps: 8, state: saved });
    assert.equal(resumed.step, 8);
    const [r, w] = [resumed.state, whole.state];
    assert.ok(r.train.ema && r.train.replay, 'the state keeps an EMA and a replay buffer');
    assert.notDeepEqual(bitsOf(r.train.ema.params), bitsOf(r.train.g.params), 'the EMA trails the params');
    assert.deepEqual([item(r.train.replay.filled), item(r.train.replay.next)], [12, (8 * 16) % 12]);
    assert.deepEqual(bitsOf(r.train.ema), bitsOf(w.train.ema));
    assert.deepEqual(bitsOf(r.train.replay), bitsOf(w.train.replay));
    assert.deepEqual(bitsOf(r.train.d.opt), bitsOf(w.train.d.opt));
    assert.deepEqual([r.data, bitsOf(r.key)], [w.data, bitsOf(w.key)]);
    assert.deepEqual(bitsOf(r), bitsOf(w));
    assert.deepEqual(resumed.metrics, whole.metrics);
  });

  it('continues a finished run of N steps to 2N when given steps = 2N', async () => {
    const whole = await fit({ ...base, config: resumeConfig(), steps: 6 });
    const half = await fit({ ...base, config: resumeConfig(), steps: 3 });
    const rest = await fit({ data, batchSize: 8, config: resumeConfig(), steps: 6, state: throughFile(half.state) });
    assert.deepEqual(bitsOf(rest.state), bitsOf(whole.state));
  });

  it('draws nDis batches per iteration from the epoch iterator: 3 iterations × 2 batches of 8 from 40 examples end at epoch 1, position 8', async () => {
    const r = await fit({ ...base, config: resumeConfig(), steps: 3 });
    assert.deepEqual([r.state.data.epoch, r.state.data.position], [1, 8]);
  });

  it('calls the eval, sample and checkpoint hooks at their intervals, and checkpoints at the end', async () => {
    const calls: string[] = [];
    await fit({
      ...base,
      config: resumeConfig(),
      steps: 6,
      every: { log: 0, eval: 3, sample: 2, checkpoint: 4 },
      hooks: {
        onLog: (e) => void calls.push(`log ${e.step}`),
        onEval: (_, t) => void calls.push(`eval ${t}`),
        onSample: (_, t) => void calls.push(`sample ${t}`),
        onCheckpoint: (_, t) => void calls.push(`checkpoint ${t}`),
      },
    });
    assert.deepEqual(calls, ['sample 2', 'eval 3', 'sample 4', 'checkpoint 4', 'log 6', 'eval 6', 'sample 6', 'checkpoint 6']);
  });

  it('stops at a non-finite step naming the step and the metric, returns the last good state and writes no checkpoint', async () => {
    const poisoned = { x: tensor([8, 2], [0, 0, 1, 1, NaN, 2, 3, 3, 1, 0, 0, 1, 2, 2, 1, 1]) };
    const checkpoints: number[] = [];
    const cfg = resumeConfig();
    const start = initRunState({ config: cfg, key: key(3), size: 8, batchSize: 8 });
    const r = await fit({ data: poisoned, batchSize: 8, config: cfg, steps: 5, state: start, hooks: { onCheckpoint: (_, t) => void checkpoints.push(t) } });
    assert.equal(r.stopped, 'non-finite');
    assert.equal(r.step, 0);
    assert.match(r.message ?? '', /^step 1 was not finite: d_loss is NaN/);
    assert.deepEqual(checkpoints, []);
    assert.deepEqual(bitsOf(r.state), bitsOf(start));
  });

  it('rejects negative steps, batch size 0 and a start without key or state, listing each', async () => {
    await assert.rejects(
      fit({ data, config: resumeConfig(), steps: -1, batchSize: 0 }),
      (e: Error) => /steps must be an integer >= 0, got -1/.test(e.message) && /batchSize must be an integer >= 1, got 0/.test(e.message) && /a key is needed/.test(e.message),
    );
  });

  it('hands a conditional config the rows of data.labels that go with its real batch: one step equals the step on those rows', async () => {
    const config: TrainConfig = {
      generator: sequential(ConcatLabelEmbedding(3, 2), Linear(8), ReLU(), Linear(2)),
      discriminator: withHeads(sequential(Linear(8), LeakyReLU(0.2)), [Linear(1), Linear(3)]),
      latent: { dim: 3, prior: 'normal' },
      dataShape: [2],
      loss: 'nonsaturating',
      nDis: 1,
      optimizers: { g: adam(1e-3), d: adam(1e-3) },
      conditioning: { classes: 3 },
      acgan: { weight: 1 },
    };
    const labels = tensor([40], Float32Array.from({ length: 40 }, (_, i) => (i * 7) % 3));
    const start = initRunState({ config, key: key(3), size: 40, batchSize: 8 });
    const [indices] = nextBatch(start.data);
    const [expected] = makeTrainStep(config)(start.train, { real: [takeRows(data.x, indices)], labels: [takeRows(labels, indices)] }, foldIn(start.key, 0));
    const r = await fit({ data: { x: data.x, labels }, batchSize: 8, config, steps: 1, state: start });
    assert.deepEqual(bitsOf(r.state.train), bitsOf(expected));
    const shuffled = await fit({ data: { x: data.x, labels: tensor([40], labels.data.map((y) => (y + 1) % 3)) }, batchSize: 8, config, steps: 1, state: start });
    assert.notDeepEqual(bitsOf(shuffled.state.train), bitsOf(expected));
  });

  it('runs the iteration under jit, traced once for the whole run, and gives what the op-by-op run gives', async () => {
    const traces = await withJitDebug(() => fit({ ...base, config: resumeConfig(), steps: 6 }));
    assert.equal(traces.messages.filter((m) => m.startsWith('jit(trainIteration): traced')).length, 1, traces.messages.join('\n'));
    const eager = await withJitDebug(() => fit({ ...base, config: resumeConfig(), steps: 6, jit: false }));
    assert.equal(eager.messages.length, 0);
    assertTreeClose(traces.value.state.train, eager.value.state.train);
  });

  it('runs a config with a layer that draws from ctx.key (dropout) op by op, whatever jit says', async () => {
    const config: TrainConfig = { ...resumeConfig(), discriminator: sequential(Linear(8), Dropout(0.25), LeakyReLU(0.2), Linear(1)), ema: undefined, replay: undefined };
    const jitted = await withJitDebug(() => fit({ ...base, config, steps: 3 }));
    assert.equal(jitted.messages.length, 0);
    const eager = await fit({ ...base, config, steps: 3, jit: false });
    assert.deepEqual(bitsOf(jitted.value.state.train), bitsOf(eager.state.train));
  });

  it('stops when the time budget is spent: stopped "time", fewer steps than asked, the checkpoint hook called at the step reached', async () => {
    const checkpoints: number[] = [];
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const r = await fit({ ...base, config: resumeConfig(), steps: 1000, maxSeconds: 0.15, hooks: { onLog: () => busy(40), onCheckpoint: (_, t) => void checkpoints.push(t) } });
    assert.equal(r.stopped, 'time');
    assert.ok(r.step >= 1 && r.step < 20, `step ${r.step}`);
    assert.deepEqual(checkpoints, [r.step]);
    await assert.rejects(fit({ ...base, config: resumeConfig(), steps: 1, maxSeconds: 0 }), /maxSeconds must be a number > 0, got 0/);
  });

  it('rejects labels that are not one class id per example', async () => {
    await assert.rejects(fit({ ...base, data: { x: data.x, labels: tensor([39], new Float32Array(39)) }, config: resumeConfig(), steps: 1 }), /data\.labels must be \[40\]/);
  });
});
