import * as E from 'fp-ts/lib/Either.js';
import { BackendError, type PureganError } from '../core/errors.js';
import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';
import { loadWasmBackend, type WasmVariant } from './wasm/index.js';

/** Backends that can be selected by name (CLI flags, configs). */
export const BACKEND_NAMES = ['wasm', 'wasm-simd', 'wasm-relaxed', 'reference', 'webgpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export const isBackendName = (s: string): s is BackendName => (BACKEND_NAMES as readonly string[]).includes(s);

/**
 * Loads a backend by name: `wasm` (the best wasm build this engine supports), `wasm-simd`,
 * `wasm-relaxed` (fails where relaxed SIMD is unavailable), `reference` or `webgpu` (fails,
 * with the reason, where no WebGPU adapter can be had). `threads` (wasm only, Node only,
 * default 1) splits the GEMMs and im2col/col2im across worker threads.
 */
export async function loadBackend(name: string, opts: Readonly<{ threads?: number }> = {}): Promise<E.Either<PureganError, Backend>> {
  if (!isBackendName(name)) {
    return E.left(new BackendError(`unknown backend "${name}"; expected one of: ${BACKEND_NAMES.join(', ')}`));
  }
  if (name === 'reference') return E.right(referenceBackend);
  if (name === 'webgpu') {
    const { createWebGPUBackend } = await import('./webgpu/index.js');
    return createWebGPUBackend();
  }
  const variant: WasmVariant | 'auto' = name === 'wasm' ? 'auto' : name === 'wasm-simd' ? 'simd' : 'relaxed';
  try {
    return E.right(await loadWasmBackend({ variant, ...(opts.threads === undefined ? {} : { threads: opts.threads }) }));
  } catch (e) {
    return E.left(e instanceof BackendError ? e : new BackendError(`could not load the ${name} backend: ${(e as Error).message}`));
  }
}
