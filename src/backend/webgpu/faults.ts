import type { Primitive } from '../../ops/primitives.js';
import type { PipelineCache } from './pipelines.js';

/**
 * Faults the worker can be told to provoke, so that tests (and anyone checking a fallback
 * path) can see each device failure surface as its typed WebGPUError. Plain data: it crosses
 * into the worker with `workerData`. None is set in normal use.
 */
export type InjectedFaults = Readonly<{
  /** Every kernel of this primitive gets WGSL that does not compile (a `shader-compile` error naming it). */
  badShader?: Primitive;
  /** Reads of device buffers are never answered (a read-back that never completes: `timeout`). */
  stallReadBack?: boolean;
  /** The device is destroyed when the n-th device run (counting from 1) arrives (a lost device: `device-lost`). */
  loseDeviceAtRun?: number;
}>;

/** A statement no WGSL compiler accepts. */
const BROKEN = '\nfn injected_fault() { let x: f32 = undefined_identifier; }\n';

/** `cache` with the injected shader fault: kernels named after `badShader` (`conv2d → [...]`) get broken WGSL. */
export function withShaderFault(cache: PipelineCache, faults: InjectedFaults): PipelineCache {
  const bad = faults.badShader;
  if (bad === undefined) return cache;
  return {
    get: (kernel, wgsl) => cache.get(kernel, kernel.startsWith(`${bad} `) ? wgsl + BROKEN : wgsl),
    get size() {
      return cache.size;
    },
  };
}
