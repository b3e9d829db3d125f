import { jit, type JitOptions, type Jitted } from '../../src/jit/index.js';
import { materializeSync } from '../../src/core/device_tensor.js';

/**
 * `jit` whose results are read back to the host (`materializeSync`, blocking): on WebGPU a
 * jitted function returns device tensors, so tests that compare a jitted result with an eager
 * one on every backend read it back first; on other backends it is `jit` itself. Inspection
 * (`stats`, `lower`, `profile`) is the jitted function's own.
 */
export function hostJit<F extends (...args: never[]) => unknown>(f: F, opts: JitOptions = {}): Jitted<F> {
  const j = jit(f, opts);
  const call = (...args: Parameters<F>): unknown => materializeSync(j(...args));
  return Object.assign(call, { stats: j.stats, lower: j.lower, profile: j.profile }) as unknown as Jitted<F>;
}
