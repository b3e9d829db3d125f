import type { WebGPUErrorData } from './errors.js';

/**
 * Getting a GPUDevice: in Node from Dawn (the optional `webgpu` package), in a browser from
 * `navigator.gpu`. Runs in the device's worker (worker.ts). Every failure comes back as a
 * reason, never a throw: no `webgpu` package, no adapter (on a machine without a GPU, Dawn
 * needs a Vulkan driver such as SwiftShader's: set VK_ICD_FILENAMES), or a refused device.
 */

/** WebGPU's usage and map-mode flags (the spec's values; Node has no GPUBufferUsage global). */
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 } as const;
export const MAP_READ = 0x1;

/**
 * The device and what must outlive it: Dawn for Node's instance (`gpu`) and adapter are
 * collected like any JS object, and a device whose instance was collected crashes the process
 * on its next event, so the worker holds all three for as long as it runs.
 */
export type AcquiredDevice = Readonly<{ gpu: GPU; gpuAdapter: GPUAdapter; device: GPUDevice; adapter: string }>;

/** A one-line description of an adapter: `google swiftshader (SwiftShader driver 5.0.0)`. */
export function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (info === undefined) return 'unknown adapter';
  const name = [info.vendor, info.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter';
  return info.description !== '' ? `${name} (${info.description})` : name;
}

const HINT = 'on a machine without a GPU, install Vulkan (libvulkan1) and SwiftShader (Debian: chromium) and set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';

async function gpuOf(): Promise<GPU | string> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  try {
    const dawn = (await import('webgpu' as string)) as { create: (flags: string[]) => GPU; globals: object };
    Object.assign(globalThis, dawn.globals);
    return dawn.create([]);
  } catch (e) {
    return `the optional package "webgpu" (Dawn for Node) could not be loaded: ${(e as Error).message}`;
  }
}

/** The device with the adapter's largest buffer limits, or why there is none. */
export async function acquireDevice(): Promise<AcquiredDevice | WebGPUErrorData> {
  const fail = (message: string): WebGPUErrorData => ({ kind: 'no-device', kernel: 'device', message });
  const gpu = await gpuOf();
  if (typeof gpu === 'string') return fail(gpu);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return fail(`requestAdapter failed: ${(e as Error).message}; ${HINT}`);
  }
  if (adapter === null) return fail(`no WebGPU adapter is available; ${HINT}`);
  try {
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        // The fused Adam kernel binds nine storage buffers (shaders/adam.ts), above the default 8.
        maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      },
    });
    return { gpu, gpuAdapter: adapter, device, adapter: describeAdapter(adapter.info) };
  } catch (e) {
    return fail(`requestDevice failed: ${(e as Error).message}`);
  }
}
