/**
 * puregan: a functional, pure-data GAN framework. Tensors, params, layer state and optimiser
 * state are immutable values; heavy kernels run in SIMD WebAssembly.
 *
 *     import { init, nn, ops, grad, random } from 'puregan';
 *     await init();                      // loads the wasm backend (reference until then)
 *
 * This entry uses no Node built-ins (it loads in a browser; test/index.test.ts bundles it);
 * what needs them (the conformance runner) is `puregan/node`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { useBackend } from './backend/current.js';
import type { Backend } from './backend/backend.js';
import type { PureganError } from './core/errors.js';
import { checkOptions } from './core/options.js';
import { loadBackend, type BackendName } from './backend/load.js';

export * from './core/errors.js';
export * from './core/tensor.js';
export * from './core/pytree.js';
export { checkOptions, type OptionKeys } from './core/options.js';
export * as random from './core/random.js';
export type { Key } from './core/random.js';
export * as ops from './ops/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as losses from './losses/index.js';
export * as train from './train/index.js';
export * as metrics from './metrics/index.js';
export * as io from './io/index.js';
export * as data from './data/index.js';
export { grad, valueAndGrad, vjp, vjpWithAux, stopGradient, type GradOptions, type Pullback } from './autodiff/index.js';
export { jit, type JitOptions, type JitStats, type Jitted } from './jit/index.js';
export { materialize, dispose, isDeviceTensor } from './core/device_tensor.js';
export type { Graph, Eqn, VarId, CompiledGraph, CompileContext, RunProfile } from './backend/graph.js';
export { gradientPenalty, r1Penalty, inputGradient, type Critic } from './losses/penalties.js';
export type { Backend, ConvGeometry, GemmSpec, PowerIterationResult } from './backend/backend.js';
export { convGeometry, convTransposeGeometry, convOutputShape } from './backend/geometry.js';
export { referenceBackend } from './backend/reference.js';
export { currentBackend, useBackend, withBackend } from './backend/current.js';
export { loadBackend, BACKEND_NAMES, type BackendName } from './backend/load.js';
export { loadWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmVariant } from './backend/wasm/index.js';

/**
 * Loads a backend (default `wasm`: the relaxed-SIMD build where the engine supports it, else
 * plain SIMD) and makes it the one ops run on. Rejects with a BackendError if it cannot load.
 *
 * `threads` (wasm backends): how many threads run the GEMMs and im2col/col2im; results are
 * bitwise identical for any count. The default, 'auto', is like PyTorch's intra-op default:
 * in Node every available core up to 4 (falling back to 1 where worker_threads or
 * SharedArrayBuffer are unavailable); in browsers 1.
 */
export async function init(opts: Readonly<{ backend?: BackendName; threads?: number | 'auto' }> = {}): Promise<Backend> {
  checkOptions('init', opts, { backend: true, threads: true });
  const name = opts.backend ?? 'wasm';
  const want = opts.threads ?? 'auto';
  let b: E.Either<PureganError, Backend>;
  if (want === 'auto') {
    const threads = name === 'reference' || name === 'webgpu' ? 1 : await autoThreads();
    b = await loadBackend(name, { threads });
    if (E.isLeft(b) && threads > 1) b = await loadBackend(name, { threads: 1 });
  } else {
    b = await loadBackend(name, { threads: want });
  }
  if (E.isLeft(b)) throw b.left;
  useBackend(b.right);
  return b.right;
}

async function autoThreads(): Promise<number> {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string' || typeof SharedArrayBuffer === 'undefined') return 1;
  const os = await import('node:os');
  return Math.max(1, Math.min(4, os.availableParallelism()));
}
