/**
 * Test support (no tests of its own): run a group of tests once per backend, as jax-js runs
 * its suite once per device. The reference backend is the oracle; the wasm backend (relaxed
 * build, two threads where available) and the WebGPU backend (eager kernels on the device;
 * SwiftShader on a machine without a GPU) must pass the same assertions. Where no WebGPU
 * adapter can be had, its groups skip with the reason (test/helpers/webgpu.ts; a failure under
 * CI=true).
 */
import { after, before, describe } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';
import { webgpu, webgpuSkip } from './webgpu.js';

const wasm = await loadWasmBackend({ threads: 2 });

/** Each backend, undefined (with `skip`, the reason) where it cannot be had here. */
export const BACKENDS: readonly Readonly<{ name: string; backend: Backend | undefined; skip?: string }>[] = [
  { name: 'reference', backend: referenceBackend },
  { name: 'wasm', backend: wasm },
  webgpuSkip === undefined ? { name: 'webgpu', backend: webgpu } : { name: 'webgpu', backend: undefined, skip: webgpuSkip },
];

/** Declares `body`'s tests once per backend, with that backend current while they run. */
export function forEachBackend(body: (name: string) => void): void {
  for (const { name, backend, skip } of BACKENDS) {
    describe(`on the ${name} backend`, { skip }, () => {
      before(() => useBackend(backend!));
      after(() => useBackend(referenceBackend));
      body(name);
    });
  }
}

/**
 * Declares `body`'s tests under `title` with a backend that `load` creates for them alone:
 * loaded and made current before they run, closed (and the reference backend current again)
 * after.
 */
export function describeWithLoadedBackend(title: string, load: () => Promise<Backend & Readonly<{ close(): Promise<void> }>>, body: () => void): void {
  describe(title, () => {
    let loaded: Awaited<ReturnType<typeof load>> | undefined;
    before(async () => {
      loaded = await load();
      useBackend(loaded);
    });
    after(async () => {
      useBackend(referenceBackend);
      await loaded?.close();
    });
    body();
  });
}

/**
 * fast-check runs of a property on `backend`: `n`, or `webgpuRuns` on webgpu, where every eager
 * kernel call is a device round trip (for properties that make hundreds of them per run).
 */
export const numRunsOn = (backend: string, n: number, webgpuRuns: number): number => (backend === 'webgpu' ? webgpuRuns : n);
