import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';

/** The `code` of the warning below, for `process.on('warning')` filters. */
export const NO_BACKEND_WARNING = 'PUREGAN_NO_BACKEND';

const MESSAGE =
  'puregan: a kernel ran on the float64 reference backend because no backend was chosen. ' +
  'Call `await init()` before using ops to load the much faster wasm backend, or ' +
  '`useBackend(referenceBackend)` to choose the reference backend (and silence this warning).';

let warned = false;

/** Warns once per process (a Node warning with code PUREGAN_NO_BACKEND, else console.warn). */
function warnNoBackend(): void {
  if (warned) return;
  warned = true;
  if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
    process.emitWarning(MESSAGE, { code: NO_BACKEND_WARNING });
  } else {
    console.warn(MESSAGE);
  }
}

type Kernel = Exclude<keyof Backend, 'name' | 'description' | 'close' | 'compile'>;
/** Every kernel of the interface (a new one that is not listed here does not compile). */
const KERNELS: { readonly [K in Kernel]: true } = {
  gemm: true,
  conv2d: true,
  conv2dGradInput: true,
  conv2dGradWeight: true,
  powerIteration: true,
  adamUpdate: true,
};

/**
 * The reference backend before anyone chose a backend: the same kernels, but the first call
 * warns that `init()` was not called. Choosing the reference backend explicitly
 * (`useBackend(referenceBackend)`) does not warn.
 */
const unchosen: Backend = Object.freeze({
  ...referenceBackend,
  description: `${referenceBackend.description} (by default: init() was not called)`,
  ...Object.fromEntries(
    Object.keys(KERNELS).map((k) => [
      k,
      (...args: unknown[]) => {
        warnNoBackend();
        return (referenceBackend[k as Kernel] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ),
});

/**
 * The backend heavy ops run on (like JAX's default device). Starts as the reference backend,
 * warning once when a kernel first runs on it unchosen; `init()` (in the package root) loads
 * the wasm backend and makes it current. `withBackend` runs a function on another backend and
 * restores the previous one afterwards.
 */
let current: Backend = unchosen;

export function currentBackend(): Backend {
  return current;
}

export function useBackend(b: Backend): void {
  current = b;
}

export function withBackend<T>(b: Backend, f: () => T): T {
  const prev = current;
  current = b;
  try {
    return f();
  } finally {
    current = prev;
  }
}
