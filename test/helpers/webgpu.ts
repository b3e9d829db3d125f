/**
 * Test support (no tests of its own): the WebGPU backend when an adapter can be had. Where none
 * can, `webgpuSkip` says why in one line and the WebGPU groups skip with it — except under
 * CI=true, where a missing adapter fails the run (so CI cannot go green without running them).
 */
import * as E from 'fp-ts/lib/Either.js';
import { createWebGPUBackend, type WebGPUBackend } from '../../src/backend/webgpu/index.js';

const made = await createWebGPUBackend();
if (E.isLeft(made) && process.env['CI'] === 'true') {
  throw new Error(`CI=true but the WebGPU backend could not start: ${made.left.message}`);
}

/** The backend, or undefined where no adapter is available. */
export const webgpu: WebGPUBackend | undefined = E.isRight(made) ? made.right : undefined;

/** Why the WebGPU tests skip here (one line), or undefined when they run. */
export const webgpuSkip: string | undefined = E.isLeft(made) ? `no WebGPU adapter: ${made.left.detail}` : undefined;
