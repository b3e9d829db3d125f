import type { Backend } from './backend.js';
import { referenceBackend } from './reference.js';

/**
 * The backend heavy ops run on (like JAX's default device). Starts as the reference backend;
 * `init()` (in the package root) loads the wasm backend and makes it current. `withBackend`
 * runs a function on another backend and restores the previous one afterwards.
 */
let current: Backend = referenceBackend;

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
