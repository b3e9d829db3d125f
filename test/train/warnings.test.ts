import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { ValueError } from '../../src/core/errors.js';
import { key, normal } from '../../src/core/random.js';
import { tensor } from '../../src/core/tensor.js';
import { fit } from '../../src/train/loop.js';
import { trainingWarnings, type LoggedStep } from '../../src/train/warnings.js';
import { tinyConfig } from '../helpers/tiny_gan.js';

useBackend(referenceBackend);

/** n logged steps (every 25) of a healthy run: losses near 0.7 / 1.2, gradient norms near 1, σ near 2, with ±5% wiggle. */
function healthy(n: number, from = 0): LoggedStep[] {
  return Array.from({ length: n }, (_, i) => {
    const w = 1 + 0.05 * Math.sin(i + from);
    return { step: 25 * (i + from + 1), d_loss: 0.7 * w, g_loss: 1.2 / w, grad_norm_d: 1.1 * w, grad_norm_g: 0.9 / w, 'sigma/d.0': 2 * w, finite: 1 };
  });
}

const kinds = (logs: readonly LoggedStep[], evals: readonly { step: number; coverage: number }[] = []) => trainingWarnings({ logs, evals }).map((w) => `${w.kind}:${w.subject}`);

describe('trainingWarnings', () => {
  it('says nothing for a healthy run', () => {
    assert.deepEqual(kinds(healthy(60), [10, 10, 9, 10, 10].map((c, i) => ({ step: 250 * (i + 1), coverage: c }))), []);
  });

  it('says nothing before it has two windows of logged steps', () => {
    const logs = healthy(19).map((l, i) => (i >= 9 ? { ...l, d_loss: 0.001, g_loss: 9, grad_norm_g: 1e6 } : l));
    assert.deepEqual(kinds(logs), []);
  });

  it('warns of a D collapse when d_loss stays below 0.01 over 10 logged steps while g_loss rises by more than 10%', () => {
    const logs = [...healthy(30), ...healthy(10, 30).map((l, i) => ({ ...l, d_loss: 0.004, g_loss: 3 + 0.2 * i }))];
    const w = trainingWarnings({ logs, evals: [] });
    assert.deepEqual(w.map((x) => x.kind), ['d-collapse']);
    assert.equal(w[0]!.step, logs[logs.length - 1]!.step);
    assert.match(w[0]!.message, /d_loss .* < 0.01/);
  });

  it('does not call a low D loss a collapse when G loss is not rising', () => {
    const logs = healthy(40).map((l) => ({ ...l, d_loss: 0.004, g_loss: 5 }));
    assert.deepEqual(kinds(logs), []);
  });

  it('does not call a negative (Wasserstein) D loss a collapse', () => {
    const logs = [...healthy(30), ...healthy(10, 30).map((l, i) => ({ ...l, d_loss: -2 - i, g_loss: 3 + i }))];
    assert.deepEqual(kinds(logs), []);
  });

  it('warns of vanishing G gradients when their median falls below 1/1000 of the first window', () => {
    const logs = [...healthy(30), ...healthy(10, 30).map((l) => ({ ...l, grad_norm_g: 5e-4 }))];
    assert.deepEqual(kinds(logs), ['grad-vanishing:grad_norm_g']);
  });

  it('warns of exploding D gradients when their median exceeds 1000× the first window', () => {
    const logs = [...healthy(30), ...healthy(10, 30).map((l, i) => ({ ...l, grad_norm_d: i < 4 ? 1 : 2000 }))];
    assert.deepEqual(kinds(logs), ['grad-exploding:grad_norm_d']);
  });

  it('ignores a single gradient spike (the window median is robust to it)', () => {
    const logs = healthy(40).map((l, i) => (i === 35 ? { ...l, grad_norm_d: 1e9 } : l));
    assert.deepEqual(kinds(logs), []);
  });

  it('warns of falling coverage when the last two evaluations are 20% (at least 1) below the best before them', () => {
    const evals = [6, 10, 9, 8, 7].map((c, i) => ({ step: 250 * (i + 1), coverage: c }));
    assert.deepEqual(kinds(healthy(5), evals), ['coverage-falling:coverage-falling']);
  });

  it('does not warn of coverage when only the last evaluation dropped', () => {
    const evals = [10, 10, 10, 7].map((c, i) => ({ step: 250 * (i + 1), coverage: c }));
    assert.deepEqual(kinds(healthy(5), evals), []);
  });

  it('warns of σ drift when the mean σ of an SN layer changes by more than 1.5× between the last two windows', () => {
    const logs = [...healthy(30), ...healthy(10, 30).map((l) => ({ ...l, 'sigma/d.0': 3.2 }))];
    assert.deepEqual(kinds(logs), ['sigma-drift:sigma/d.0']);
  });

  it('reads windows and factors from its thresholds', () => {
    const logs = [...healthy(8), ...healthy(4, 8).map((l) => ({ ...l, grad_norm_g: 0.05 }))];
    assert.deepEqual(trainingWarnings({ logs, evals: [] }, { window: 4, gradFactor: 10 }).map((w) => w.kind), ['grad-vanishing']);
  });

  it('rejects a window that is not a positive integer with a ValueError', () => {
    assert.throws(() => trainingWarnings({ logs: [], evals: [] }, { window: 0 }), ValueError);
    assert.throws(() => trainingWarnings({ logs: [], evals: [] }, { window: 2.5 }), ValueError);
  });

  it('catches a real run whose G is frozen (lr 0) while D learns fast: D collapses and G loss climbs', async () => {
    const x = tensor([256, 2], normal(key(1), [256, 2]).data.map((v) => 4 + 0.1 * v));
    const logs: LoggedStep[] = [];
    await fit({
      config: tinyConfig({ optimizers: { g: { name: 'adam', lr: 0 }, d: { name: 'adam', lr: 0.05, b1: 0.5 } } }),
      data: { x },
      steps: 150,
      batchSize: 32,
      key: key(2),
      every: { log: 5 },
      hooks: { onLog: ({ step, metrics }) => void logs.push({ step, ...metrics }) },
    });
    assert.ok(kinds(logs).includes('d-collapse:d-collapse'), `warnings ${JSON.stringify(kinds(logs))}, last log ${JSON.stringify(logs[logs.length - 1])}`);
  });
});
