import { instantiate } from '@assemblyscript/loader';
import { BackendError } from '../../core/errors.js';
import type { WasmBackendOptions, WasmBuild, WasmVariant } from './api.js';
import type { WasmExports } from './exports.js';
import { isNode } from './platform.js';

/**
 * Loading the kernels: reading a build's bytes (from `build/` in the package, a given URL or
 * given bytes), probing for relaxed SIMD, compiling, and instantiating on a given memory.
 */

type Bytes = Uint8Array<ArrayBuffer>;

/** The bytes of one build: `sources[build]` when given (bytes or a URL), else `build/puregan-<build>.wasm`. */
async function readSource(build: WasmBuild, sources: WasmBackendOptions['sources']): Promise<Bytes> {
  const given = sources?.[build];
  const url = given instanceof URL ? given : given === undefined ? new URL(`../../../../build/puregan-${build}.wasm`, import.meta.url) : undefined;
  if (url === undefined) {
    const copy = ArrayBuffer.isView(given) ? new Uint8Array(given.buffer, given.byteOffset, given.byteLength) : new Uint8Array(given as ArrayBuffer);
    return Uint8Array.from(copy);
  }
  try {
    if (url.protocol === 'file:' && isNode) {
      const fs = await import('node:fs/promises');
      return new Uint8Array(await fs.readFile(url));
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new BackendError(
      `cannot read the ${build} wasm kernels at ${url.href} (${(e as Error).message}); run \`npm run build:wasm\` or pass sources`,
    );
  }
}

let relaxedFlagSet = false;

/** True when this engine accepts the relaxed-SIMD build (enabling V8's flag in Node 20 if needed). */
async function relaxedSupported(bytes: Bytes): Promise<boolean> {
  if (WebAssembly.validate(bytes)) return true;
  if (isNode && !relaxedFlagSet) {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedFlagSet = true;
    return WebAssembly.validate(bytes);
  }
  return false;
}

/**
 * Reads and compiles the build for `variant` (`auto`: relaxed where the engine validates it,
 * else simd), the `-threads` one when `shared`. Rejects with a BackendError when the build
 * cannot be read or this engine cannot run it.
 */
export async function compileKernels(
  opts: Readonly<{ variant: WasmVariant | 'auto'; shared: boolean; sources: WasmBackendOptions['sources'] }>,
): Promise<{ variant: WasmVariant; module: WebAssembly.Module }> {
  const suffix = opts.shared ? '-threads' : '';
  let variant: WasmVariant = opts.variant === 'auto' ? 'relaxed' : opts.variant;
  let bytes = await readSource(`${variant}${suffix}`, opts.sources);
  if (variant === 'relaxed' && !(await relaxedSupported(bytes))) {
    if (opts.variant === 'relaxed') throw new BackendError('this engine does not support relaxed SIMD (f32x4.relaxed_madd); use the "wasm-simd" backend');
    variant = 'simd';
    bytes = await readSource(`${variant}${suffix}`, opts.sources);
  }
  if (!WebAssembly.validate(bytes)) {
    throw new BackendError(`this engine cannot run the ${variant}${suffix} wasm build (WebAssembly SIMD${suffix ? ' and threads' : ''} are required)`);
  }
  return { variant, module: await WebAssembly.compile(bytes) };
}

/** An instance of the compiled kernels on `memory` (the module imports it as `env.memory`). */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<WasmExports> {
  return (await instantiate<WasmExports>(module, { env: { memory } })).exports;
}
