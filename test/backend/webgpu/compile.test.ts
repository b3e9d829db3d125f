/**
 * jit on the WebGPU backend: a traced graph compiled to one device program (compile.ts) gives
 * the reference backend's results within float32 rounding on random programs of elementwise,
 * reduction, structural and matmul primitives (and their gradients), materialised from the
 * device tensors it returns; a training loop that feeds each step's device-resident outputs
 * back in agrees bit for bit with one that reads every step back to the host, and with the
 * reference after 200 steps, with the device's live-buffer count flat throughout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { jit } from '../../../src/jit/index.js';
import { grad } from '../../../src/autodiff/index.js';
import * as ops from '../../../src/ops/index.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { treeLeaves } from '../../../src/core/pytree.js';
import { dispose, isDeviceTensor, materialize } from '../../../src/core/device_tensor.js';
import { DeviceTensorError } from '../../../src/core/errors.js';
import { withBackend } from '../../../src/backend/current.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { arbProgramCaseWith, describeProgram, runProgram, type Params } from '../../helpers/programs.js';
import { assertClose } from '../../helpers/assert_close.js';
import { webgpu, webgpuSkip } from '../../helpers/webgpu.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const x = tensor([4, 3], [0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 0.75, 1, 0, -1, 0.5]);
const y = tensor([4, 1], [1, -1, 0.5, 0]);
type P = { w1: Tensor; b1: Tensor; w2: Tensor };
const loss = (p: P): Tensor => {
  const h = ops.tanh(ops.add(ops.matmul(x, p.w1), p.b1));
  return ops.mean(ops.square(ops.sub(ops.matmul(h, p.w2), y)));
};
/** One SGD step on a small MLP, and its loss (a metric the loop may read back). */
const step = (p: P): { p: P; loss: Tensor } => {
  const g = grad(loss)(p);
  return { p: { w1: ops.sub(p.w1, ops.mul(g.w1, 0.1)), b1: ops.sub(p.b1, ops.mul(g.b1, 0.1)), w2: ops.sub(p.w2, ops.mul(g.w2, 0.1)) }, loss: loss(p) };
};
const p0: P = {
  w1: tensor([3, 5], Array.from({ length: 15 }, (_, i) => Math.sin(i + 1) / 2)),
  b1: tensor([5], [0.1, -0.1, 0, 0.2, -0.2]),
  w2: tensor([5, 1], [0.3, -0.2, 0.1, 0.4, -0.3]),
};
const KEYS = ['w1', 'b1', 'w2'] as const;
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/**
 * Collects garbage until the device tensors left unreferenced by earlier tests are freed: the
 * handle count has not fallen over `STABLE_ROUNDS` rounds in a row (the finalizers of one
 * collection can run a round late on a busy machine, so one round without change is not enough).
 */
const STABLE_ROUNDS = 5;

async function settledHandles(W: NonNullable<typeof webgpu>): Promise<number> {
  let last = W.stats().handles;
  for (let still = 0; still < STABLE_ROUNDS; ) {
    gc();
    await tick();
    const n = W.stats().handles;
    still = n < last ? 0 : still + 1;
    last = Math.min(last, n);
  }
  return last;
}

describe('jit on the webgpu backend', { skip: webgpuSkip }, () => {
  const W = webgpu!;

  it('jit(grad(f)) on random programs gives the reference backend gradients within float32 rounding', async () => {
    await fc.assert(
      fc.asyncProperty(arbProgramCaseWith({ minMagnitude: 1e-6 }), async ({ p, inputs }) => {
        const g = grad((params: Params, x: Tensor) => runProgram(p, x, params));
        const jg = jit(g);
        for (const { x, params } of inputs) {
          const want = withBackend(referenceBackend, () => g(params, x));
          const got = await materialize(withBackend(W, () => jg(params, x)));
          treeLeaves(got).forEach((leaf, i) => assertClose(leaf as Tensor, (treeLeaves(want)[i] as Tensor).data, 2e-5, describeProgram(p)));
        }
      }),
      { numRuns: 5 },
    );
  });

  it('a jitted step returns device tensors, and an eager op on one is a DeviceTensorError naming materialize', async () => {
    const out = withBackend(W, () => jit(step)(p0));
    assert.ok(treeLeaves(out).every(isDeviceTensor));
    assert.deepEqual(out.p.w1.shape, [3, 5]);
    assert.throws(() => withBackend(W, () => ops.add(out.p.w1, 1)), (e: unknown) => e instanceof DeviceTensorError && /materialize/.test(e.message));
    const m = await materialize(out.loss);
    assertClose(m, withBackend(referenceBackend, () => loss(p0)).data, 1e-5, 'loss');
    dispose(out);
  });

  it('200 resident steps (state disposed as it is replaced) keep the live-buffer count flat and equal, bit for bit, 200 steps read back to the host every step', async () => {
    const js = jit(step);
    let p: P = p0;
    let afterFirst = -1;
    for (let i = 0; i < 200; i++) {
      const next = withBackend(W, () => js(p));
      if (i > 0) dispose(p);
      dispose(next.loss);
      p = next.p;
      const live = W.stats().liveBuffers;
      if (i === 1) afterFirst = live;
      else if (i > 1) assert.equal(live, afterFirst, `step ${i}: ${live} live buffers, ${afterFirst} after the second step`);
    }
    const resident = await materialize(p);
    let q: P = p0;
    for (let i = 0; i < 200; i++) q = (await materialize(withBackend(W, () => js(q)))).p;
    for (const k of KEYS) assert.deepEqual(Array.from(resident[k].data), Array.from(q[k].data), k);
    const want = withBackend(referenceBackend, () => {
      let r = p0;
      for (let i = 0; i < 200; i++) r = step(r).p;
      return r;
    });
    for (const k of KEYS) assertClose(resident[k], want[k].data, 1e-4, k);
    assert.ok(Math.abs(resident.w2.data[0]! - p0.w2.data[0]!) > 1e-3, 'the steps changed the parameters');
  });

  it('states that are dropped rather than disposed are freed when collected: 200 steps end with only the last state on the device', async () => {
    const js = jit(step);
    const held = await settledHandles(W);
    let p: P = p0;
    for (let i = 0; i < 200; i++) {
      p = withBackend(W, () => js(p)).p;
      if (i % 50 === 49) {
        gc();
        await tick();
      }
    }
    for (let i = 0; i < 20 && W.stats().handles > held + 3; i++) {
      gc();
      await tick();
    }
    // At most: a handle that an earlier test let go may still be freed after `held` was read.
    assert.ok(W.stats().handles <= held + 3, `the three leaves of the last state: ${W.stats().handles} live handles, ${held} before the steps`);
    const last = await materialize(p); // the last state is still on the device, readable
    for (const k of KEYS) assert.ok(last[k].data.every(Number.isFinite), k);
    dispose(p);
    assert.ok(W.stats().handles <= held, 'disposing the last state frees its three leaves');
  });

  it('only what is materialised is read back: the loss of each step, 4 bytes a step', async () => {
    const js = jit(step);
    let p: P = withBackend(W, () => js(p0)).p;
    const before = W.stats().readBackBytes;
    for (let i = 0; i < 5; i++) {
      const out = withBackend(W, () => js(p));
      p = out.p;
      await materialize(out.loss);
    }
    assert.equal(W.stats().readBackBytes - before, 5 * 4);
    dispose(p);
  });

  it('a jitted function first called with device tensors traces on their values read back, and runs on them on the device', async () => {
    const trained = withBackend(W, () => jit(step)(p0)).p;
    const predict = jit((q: P, x: Tensor) => ops.matmul(ops.tanh(ops.add(ops.matmul(x, q.w1), q.b1)), q.w2));
    const got = await materialize(withBackend(W, () => predict(trained, x)));
    const host = await materialize(trained);
    const want = withBackend(referenceBackend, () => predict(host, x));
    assertClose(got, want.data, 1e-5, 'prediction');
  });

  it('the compiled graph reports its dispatches, and reads nothing back per run', () => {
    const f = jit((a: Tensor, b: Tensor) => ops.sum(ops.mul(ops.exp(a), b)));
    const a = tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    const prof = withBackend(W, () => f.profile(a, a));
    assert.equal(prof.passes, 3);
    assert.equal(prof.freshBytes, 0);
  });
});
