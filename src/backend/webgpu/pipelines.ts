import { WebGPUError } from './errors.js';

/**
 * Compute pipelines cached by WGSL source. A kernel's source is shape-free (its shapes are params
 * words), so one pipeline serves a kernel kind at every shape. A shader the device does not compile is a WebGPUError of kind
 * `shader-compile` naming the kernel, with the compiler's first messages.
 */
export type PipelineCache = Readonly<{
  get(kernel: string, wgsl: string): Promise<GPUComputePipeline>;
  readonly size: number;
}>;

export function createPipelineCache(device: GPUDevice): PipelineCache {
  const cache = new Map<string, Promise<GPUComputePipeline>>();
  const compile = async (kernel: string, wgsl: string): Promise<GPUComputePipeline> => {
    const module = device.createShaderModule({ code: wgsl, label: kernel });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      const detail = errors.slice(0, 3).map((m) => `line ${m.lineNum}: ${m.message}`).join('; ');
      throw new WebGPUError('shader-compile', kernel, detail);
    }
    // createComputePipelineAsync crashes Dawn for Node (0.6, SwiftShader); the sync call, in an
    // error scope, reports the same failures.
    device.pushErrorScope('validation');
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel });
    const invalid = await device.popErrorScope();
    if (invalid !== null) throw new WebGPUError('shader-compile', kernel, invalid.message);
    return pipeline;
  };
  return {
    get(kernel, wgsl) {
      let p = cache.get(wgsl);
      if (p === undefined) {
        p = compile(kernel, wgsl);
        cache.set(wgsl, p);
        p.catch(() => cache.delete(wgsl));
      }
      return p;
    },
    get size() {
      return cache.size;
    },
  };
}
