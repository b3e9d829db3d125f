import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { rmsprop, scaleByRms } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { runSteps } from '../helpers/optimizer_run.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);

describe('rmsprop', () => {
  forEachBackend(() => {
    it('takes two steps as the hand-computed float64 rule (lr 0.1, α 0.9, eps 1e-3)', () => {
      // v ← αv + (1 − α)g², p ← p − lr·g/(√v + eps); v₁ = 0.1·g₁² = [0.025, 0.1].
      const [p1, p2] = runSteps(rmsprop(0.1, { decay: 0.9, eps: 1e-3 }), t(1, -2), [t(0.5, -1), t(-0.25, 2)]);
      assertClose(p1!, [0.6857596643697368, -1.6847690816739789]);
      assertClose(p2!, [0.8323371536546961, -1.9700757863815395]);
    });
  });
  it('keeps the average of g² as a named state shaped like the params', () => {
    const tx = scaleByRms<Tensor>({ decay: 0.5 });
    const [, s] = tx.update(t(2, -4), tx.init(t(0, 0)));
    assertClose(s.nu, [2, 8]);
  });
  it('runs under a tracer whose .data cannot be read, with the same result as eagerly', () => {
    const tx = rmsprop(0.1);
    const s = tx.init(t(1));
    assert.deepEqual(callWithoutData((g, st) => tx.update(g, st), t(3), s), tx.update(t(3), s));
  });
  it('rejects a decay outside [0, 1) and a negative eps', () => {
    assert.throws(() => rmsprop(0.1, { decay: 1.5 }), ValueError);
    assert.throws(() => rmsprop(0.1, { eps: -1 }), ValueError);
  });
});
