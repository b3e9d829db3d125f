/**
 * The fault paths of the WebGPU backend, each provoked on purpose (`injectFaults`, faults.ts):
 * a shader that does not compile, a device lost in the middle of training and a read-back that
 * never completes each surface as a WebGPUError (a PureganError) naming where it happened, and
 * the caller can go on on the wasm backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { createWebGPUBackend, type WebGPUBackendOptions } from '../../../src/backend/webgpu/index.js';
import { WebGPUError } from '../../../src/backend/webgpu/errors.js';
import { loadWasmBackend } from '../../../src/backend/wasm/index.js';
import { withBackend } from '../../../src/backend/current.js';
import type { Backend } from '../../../src/backend/backend.js';
import { PureganError } from '../../../src/core/errors.js';
import { materialize } from '../../../src/core/device_tensor.js';
import { tensor, type Tensor } from '../../../src/core/tensor.js';
import { jit } from '../../../src/jit/index.js';
import { grad } from '../../../src/autodiff/index.js';
import * as ops from '../../../src/ops/index.js';
import { assertClose } from '../../helpers/assert_close.js';
import { webgpuSkip } from '../../helpers/webgpu.js';

const wasm = await loadWasmBackend({ threads: 1 });

const x = tensor([4, 3], [0.5, -1, 0.25, 1, 0.5, -0.5, -0.25, 0.75, 1, 0, -1, 0.5]);
type P = { w: Tensor; b: Tensor };
const loss = (p: P): Tensor => ops.mean(ops.square(ops.tanh(ops.add(ops.matmul(x, p.w), p.b))));
const step = (p: P): P => {
  const g = grad(loss)(p);
  return { w: ops.sub(p.w, ops.mul(g.w, 0.5)), b: ops.sub(p.b, ops.mul(g.b, 0.5)) };
};
const p0: P = { w: tensor([3, 2], [0.3, -0.2, 0.1, 0.4, -0.3, 0.2]), b: tensor([2], [0.1, -0.1]) };

async function started(opts: WebGPUBackendOptions) {
  const made = await createWebGPUBackend(opts);
  assert.ok(E.isRight(made), E.isLeft(made) ? made.left.message : '');
  return made.right;
}

const isFault = (kind: WebGPUError['kind'], kernel?: RegExp) => (e: unknown) =>
  e instanceof WebGPUError && e instanceof PureganError && e.kind === kind && (kernel === undefined || kernel.test(e.kernel));

/** `n` steps of `step` from `p` on `backend`, materialised. */
const steps = async (backend: Backend, js: (p: P) => P, p: P, n: number): Promise<P> => {
  let q = p;
  for (let i = 0; i < n; i++) q = withBackend(backend, () => js(q));
  return materialize(q);
};

describe('webgpu faults, injected', { skip: webgpuSkip }, () => {
  it('a jitted step with a shader that does not compile is a shader-compile WebGPUError naming the kernel, and the step then runs on wasm', async () => {
    const W = await started({ injectFaults: { badShader: 'tanh' } });
    const js = jit(step);
    assert.throws(() => withBackend(W, () => js(p0)), isFault('shader-compile', /^tanh → \[4, 2\]/));
    const onWasm = await steps(wasm, js, p0, 3);
    const want = await steps(wasm, jit(step), p0, 3);
    assert.deepEqual(Array.from(onWasm.w.data), Array.from(want.w.data));
    await W.close();
  });

  it('an eager kernel with a shader that does not compile is a shader-compile WebGPUError naming it', async () => {
    const W = await started({ injectFaults: { badShader: 'matmul' } });
    assert.throws(() => W.gemm(new Float32Array(4), new Float32Array(4), { m: 2, n: 2, k: 2, transA: false, transB: false }), isFault('shader-compile', /^matmul → \[2, 2\]/));
    await W.close();
  });

  it('a device lost during training fails the run it happened in and every later one with device-lost, and training resumes on wasm from a host copy', async () => {
    const W = await started({ injectFaults: { loseDeviceAtRun: 3 } });
    const js = jit(step);
    const checkpoint = await steps(W, js, p0, 2);
    const failed = withBackend(W, () => js(checkpoint));
    await assert.rejects(materialize(failed), isFault('device-lost'));
    assert.throws(() => withBackend(W, () => js(failed)), isFault('device-lost'));
    assert.throws(() => withBackend(W, () => js(checkpoint)), isFault('device-lost'), 'and the call after that too');
    const resumed = await steps(wasm, js, checkpoint, 1);
    const want = await steps(wasm, js, p0, 3);
    assertClose(resumed.b, want.b.data, 1e-5, 'b after 2 webgpu steps and 1 wasm step vs 3 wasm steps');
    await W.close();
  });

  it('a read-back that never completes rejects with a timeout WebGPUError, the event loop turning meanwhile, and the backend stays failed', async () => {
    const W = await started({ readBackTimeoutMs: 400, injectFaults: { stallReadBack: true } });
    const out = withBackend(W, () => jit((a: Tensor) => ops.exp(a))(x));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    const t0 = Date.now();
    await assert.rejects(materialize(out), isFault('timeout', /^read-back$/));
    clearInterval(timer);
    assert.ok(Date.now() - t0 >= 350, 'it waited for the timeout');
    assert.ok(ticks >= 5, `the event loop turned while the read-back was awaited (${ticks} timer ticks)`);
    assert.throws(() => W.stats(), isFault('timeout'));
    await W.close();
  });
});
