import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { tensor, type Tensor } from '../../src/core/tensor.js';
import { sgd, trace } from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { forEachBackend } from '../helpers/backends.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';
import { runSteps } from '../helpers/optimizer_run.js';

const t = (...xs: number[]): Tensor => tensor([xs.length], xs);
const p0 = t(1, -2);
const grads = [t(0.5, -1), t(-0.25, 2)];

describe('sgd', () => {
  forEachBackend(() => {
    it('without momentum steps p ← p − lr·g', () => {
      const [p1, p2] = runSteps(sgd(0.1), p0, grads);
      assertClose(p1!, [0.95, -1.9]);
      assertClose(p2!, [0.975, -2.1]);
    });
    it('with momentum follows PyTorch: buf ← μ·buf + g, p ← p − lr·buf (two steps by hand)', () => {
      // buf₁ = g₁ = [0.5, −1]; buf₂ = 0.9·buf₁ + g₂ = [0.2, 1.1].
      const [p1, p2] = runSteps(sgd(0.1, { momentum: 0.9 }), p0, grads);
      assertClose(p1!, [0.95, -1.9]);
      assertClose(p2!, [0.93, -2.01]);
    });
    it('with Nesterov follows PyTorch: buf ← μ·buf + g, p ← p − lr·(g + μ·buf) (two steps by hand)', () => {
      // u₁ = g₁ + 0.9·[0.5, −1] = [0.95, −1.9]; u₂ = g₂ + 0.9·[0.2, 1.1] = [−0.07, 2.99].
      const [p1, p2] = runSteps(sgd(0.1, { momentum: 0.9, nesterov: true }), p0, grads);
      assertClose(p1!, [0.905, -1.81]);
      assertClose(p2!, [0.912, -2.109]);
    });
  });
  it('keeps the momentum buffer as a named, typed trace', () => {
    const tx = trace<{ w: Tensor }>({ decay: 0.5 });
    const [, s1] = tx.update({ w: t(2) }, tx.init({ w: t(0) }));
    const [, s2] = tx.update({ w: t(1) }, s1);
    assertClose(s2.trace.w, [2]);
  });
  it('runs under a tracer whose .data cannot be read, with the same result as eagerly', () => {
    const tx = sgd(0.1, { momentum: 0.9, nesterov: true });
    const s = tx.init(p0);
    const eager = tx.update(grads[0]!, s, p0);
    assert.deepEqual(callWithoutData((g, st) => tx.update(g, st), grads[0]!, s), eager);
  });
  it('rejects a momentum outside [0, 1) and Nesterov without momentum', () => {
    assert.throws(() => sgd(0.1, { momentum: 1 }), ValueError);
    assert.throws(() => sgd(0.1, { nesterov: true }), /Nesterov/);
    assert.throws(() => sgd(-0.1), /learning rate/);
  });
});
