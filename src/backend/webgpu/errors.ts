import { BackendError } from '../../core/errors.js';

/** What went wrong on the device. */
export type WebGPUErrorKind =
  | 'no-device' // no `webgpu` package, no adapter, or the device request failed
  | 'shader-compile' // WGSL that the device's compiler rejected
  | 'out-of-memory' // an allocation the device refused
  | 'validation' // a WebGPU validation error (a bug in this backend)
  | 'device-lost' // the device went away (driver reset, destroy)
  | 'timeout' // a reply (a read-back) that did not come in time
  | 'unsupported'; // a primitive or shape this backend has no kernel for

/**
 * A fault of the WebGPU backend, naming the kernel it happened in. It is a BackendError, so a
 * caller that catches backend failures (and falls back to wasm) catches it too.
 */
export class WebGPUError extends BackendError {
  readonly kind: WebGPUErrorKind;
  /** The kernel (a primitive and its shapes) or phase ('device', 'read-back') it happened in. */
  readonly kernel: string;
  /** The message without the kind and kernel. */
  readonly detail: string;
  constructor(kind: WebGPUErrorKind, kernel: string, detail: string) {
    super(`webgpu ${kind} in ${kernel}: ${detail}`);
    this.kind = kind;
    this.kernel = kernel;
    this.detail = detail;
  }
}

/** A WebGPUError as plain data, to cross the worker boundary. */
export type WebGPUErrorData = Readonly<{ kind: WebGPUErrorKind; kernel: string; message: string }>;

export const errorFromData = (e: WebGPUErrorData): WebGPUError => new WebGPUError(e.kind, e.kernel, e.message);
