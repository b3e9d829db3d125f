import { USAGE } from './device.js';
import { WebGPUError } from './errors.js';

/**
 * Every GPUBuffer the backend holds goes through here, so `live` / `bytes` count what is
 * allocated (the test that memory stays flat over many steps reads them). An allocation the
 * device refuses is a WebGPUError of kind `out-of-memory` naming what it was for.
 */
export type BufferStore = Readonly<{
  /** A storage buffer of at least `bytes` (4 for an empty tensor), usable as copy source and target. */
  storage(bytes: number, what: string): Promise<GPUBuffer>;
  /** A buffer the host maps to read results back. */
  staging(bytes: number, what: string): Promise<GPUBuffer>;
  destroy(b: GPUBuffer): void;
  readonly live: number;
  readonly bytes: number;
}>;

export function createBufferStore(device: GPUDevice): BufferStore {
  const sizes = new Map<GPUBuffer, number>();
  let bytes = 0;
  const make = async (size: number, usage: number, what: string): Promise<GPUBuffer> => {
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let buffer: GPUBuffer | undefined;
    try {
      buffer = device.createBuffer({ size: padded, usage, label: what });
    } catch (e) {
      await device.popErrorScope();
      await device.popErrorScope();
      throw new WebGPUError('out-of-memory', what, `could not allocate ${padded} bytes: ${(e as Error).message}`);
    }
    const invalid = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (oom !== null || invalid !== null) {
      buffer.destroy();
      throw new WebGPUError('out-of-memory', what, `the device refused ${padded} bytes: ${(oom ?? invalid)!.message}`);
    }
    sizes.set(buffer, padded);
    bytes += padded;
    return buffer;
  };
  return {
    storage: (size, what) => make(size, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, what),
    staging: (size, what) => make(size, USAGE.MAP_READ | USAGE.COPY_DST, what),
    destroy(b) {
      const size = sizes.get(b);
      if (size === undefined) return;
      sizes.delete(b);
      bytes -= size;
      b.destroy();
    },
    get live() {
      return sizes.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
