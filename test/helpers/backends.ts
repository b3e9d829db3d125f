/**
 * Test support (no tests of its own): run a group of tests once per backend, as jax-js runs
 * its suite once per device. The reference backend is the oracle; the wasm backend (relaxed
 * build, two threads where available) must pass the same assertions.
 */
import { after, before, describe } from 'node:test';
import type { Backend } from '../../src/backend/backend.js';
import { useBackend } from '../../src/backend/current.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

const wasm = await loadWasmBackend({ threads: 2 });

export const BACKENDS: readonly (readonly [string, Backend])[] = [
  ['reference', referenceBackend],
  ['wasm', wasm],
];

/** Declares `body`'s tests once per backend, with that backend current while they run. */
export function forEachBackend(body: (name: string) => void): void {
  for (const [name, backend] of BACKENDS) {
    describe(`on the ${name} backend`, () => {
      before(() => useBackend(backend));
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
