/**
 * Device faults as typed errors: WGSL the device does not compile is a WebGPUError of kind
 * `shader-compile` naming the kernel (pipelines.ts, on a device of this thread), and an
 * allocation beyond the device's limits is one of kind `out-of-memory` naming the buffer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acquireDevice } from '../../../src/backend/webgpu/device.js';
import { createPipelineCache } from '../../../src/backend/webgpu/pipelines.js';
import { WebGPUError } from '../../../src/backend/webgpu/errors.js';
import { denseGemm } from '../../../src/backend/webgpu/shaders/gemm.js';
import { webgpu, webgpuSkip } from '../../helpers/webgpu.js';

describe('webgpu faults as typed errors', { skip: webgpuSkip }, () => {
  it('a shader that does not compile is a shader-compile WebGPUError naming the kernel and the line', async () => {
    const acquired = await acquireDevice();
    assert.ok('device' in acquired, 'a device on this thread');
    const cache = createPipelineCache(acquired.device);
    const bad = denseGemm({ m: 2, n: 2, k: 2, transA: false, transB: false }).wgsl.replace('acc += ta', 'acc += undefinedThing + ta');
    await assert.rejects(cache.get('matmul → [2, 2]', bad), (e: unknown) => e instanceof WebGPUError && e.kind === 'shader-compile' && e.kernel === 'matmul → [2, 2]' && /line \d+/.test(e.message));
    assert.ok(await cache.get('matmul → [2, 2]', denseGemm({ m: 2, n: 2, k: 2, transA: false, transB: false }).wgsl), 'a good shader still compiles');
    acquired.device.destroy();
  });

  it('an allocation beyond what the device gives is an out-of-memory WebGPUError naming the buffer, and the backend goes on working', () => {
    const W = webgpu!;
    const m = 60_000;
    assert.throws(
      () => W.gemm(new Float32Array(m), new Float32Array(m), { m, n: m, k: 1, transA: false, transB: false }),
      (e: unknown) => e instanceof WebGPUError && e.kind === 'out-of-memory' && e.kernel.includes('matmul'),
    );
    assert.deepEqual(Array.from(W.gemm(new Float32Array([2]), new Float32Array([3]), { m: 1, n: 1, k: 1, transA: false, transB: false })), [6]);
  });
});
