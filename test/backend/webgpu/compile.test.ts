/**
 * jit on the WebGPU backend: a traced graph compiled to one device program (compile.ts) gives
 * the reference backend's results within float32 rounding on random programs of elementwise,
 * reduction, structural and matmul primitives (and their gradients); a training loop that
 * feeds each step's outputs back in (the resident path) agrees with the reference after 200
 * steps, with the device's live-buffer count flat throughout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jit } from '../../../src/jit/index.js';
import { grad } from '../../../src/autodiff/index.js';
import * as ops from '../../../src/ops/index.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { treeLeaves } from '../../../src/core/pytree.js';
import { withBackend } from '../../../src/backend/current.js';
import { referenceBackend } from '../../../src/backend/reference.js';
import { arbProgramCaseWith, describeProgram, runProgram, type Params } from '../../helpers/programs.js';
import { assertClose } from '../../helpers/assert_close.js';
import { webgpu, webgpuSkip } from '../../helpers/webgpu.js';

describe('jit on the webgpu backend', { skip: webgpuSkip }, () => {
  const W = webgpu!;

  it('jit(grad(f)) on random programs gives the reference backend gradients within float32 rounding', () => {
    fc.assert(
      fc.property(arbProgramCaseWith({ minMagnitude: 1e-6 }), ({ p, inputs }) => {
        const g = grad((params: Params, x: Tensor) => runProgram(p, x, params));
        const jg = jit(g);
        for (const { x, params } of inputs) {
          const want = withBackend(referenceBackend, () => g(params, x));
          const got = withBackend(W, () => jg(params, x));
          treeLeaves(got).forEach((leaf, i) => assertClose(leaf as Tensor, (treeLeaves(want)[i] as Tensor).data, 2e-5, describeProgram(p)));
        }
      }),
      { numRuns: 5 },
    );
  });

  it('200 jitted training steps fed back into themselves agree with the reference, and the live-buffer count stays flat', () => {
    const x = tensor([4, 3], [0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 0.75, 1, 0, -1, 0.5]);
    const y = tensor([4, 1], [1, -1, 0.5, 0]);
    type P = { w1: Tensor; b1: Tensor; w2: Tensor };
    const loss = (p: P): Tensor => {
      const h = ops.tanh(ops.add(ops.matmul(x, p.w1), p.b1));
      return ops.mean(ops.square(ops.sub(ops.matmul(h, p.w2), y)));
    };
    const step = (p: P): P => {
      const g = grad(loss)(p);
      return { w1: ops.sub(p.w1, ops.mul(g.w1, 0.1)), b1: ops.sub(p.b1, ops.mul(g.b1, 0.1)), w2: ops.sub(p.w2, ops.mul(g.w2, 0.1)) };
    };
    const p0: P = {
      w1: tensor([3, 5], Array.from({ length: 15 }, (_, i) => Math.sin(i + 1) / 2)),
      b1: tensor([5], [0.1, -0.1, 0, 0.2, -0.2]),
      w2: tensor([5, 1], [0.3, -0.2, 0.1, 0.4, -0.3]),
    };
    const run = (backend: typeof W | typeof referenceBackend, check?: (i: number) => void): P => {
      const js = jit(step);
      let p = p0;
      withBackend(backend, () => {
        for (let i = 0; i < 200; i++) {
          p = js(p);
          check?.(i);
        }
      });
      return p;
    };
    let afterFirst = -1;
    const got = run(W, (i) => {
      const live = W.stats().liveBuffers;
      if (i === 0) afterFirst = live;
      else assert.equal(live, afterFirst, `step ${i}: ${live} live buffers, ${afterFirst} after the first step`);
    });
    const want = run(referenceBackend);
    for (const k of ['w1', 'b1', 'w2'] as const) assertClose(got[k], want[k].data, 1e-4, k);
    assert.ok(Math.abs(got.w2.data[0]! - p0.w2.data[0]!) > 1e-3, 'the steps changed the parameters');
  });

  it('the compiled graph reports its dispatches and the bytes it reads back per run', () => {
    const f = jit((a: Tensor, b: Tensor) => ops.sum(ops.mul(ops.exp(a), b)));
    const a = tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    const prof = withBackend(W, () => f.profile(a, a));
    assert.equal(prof.passes, 3);
    assert.equal(prof.freshBytes, 4);
  });
});
