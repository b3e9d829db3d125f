import type * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../backend/backend.js';
import { BACKEND_NAMES, isBackendName, loadBackend } from '../backend/load.js';
import type { PureganError } from '../core/errors.js';
import type { FlagTable } from './flags.js';

/** `--backend NAME --threads N`, for every command that runs kernels (spread into its flags). */
export const BACKEND_FLAGS = {
  backend: { type: 'string', value: 'NAME', help: `${BACKEND_NAMES.join(', ')} (default wasm: the best build this engine runs)` },
  threads: { type: 'integer', value: 'N', min: 1, max: 64, help: 'threads for the wasm kernels (default 1; results are the same for any count)' },
} as const satisfies FlagTable;

type BackendFlagValues = Readonly<{ backend: string | undefined; threads: number | undefined }>;

/**
 * The backend's name is known, and `--threads` is not given with `--backend reference` (where
 * it would be ignored: the reference backend runs on one thread).
 */
export function checkBackendFlags(f: BackendFlagValues): string[] {
  const problems: string[] = [];
  if (f.backend !== undefined && !isBackendName(f.backend)) {
    problems.push(`unknown backend "${f.backend}"; expected one of: ${BACKEND_NAMES.join(', ')}`);
  }
  if ((f.backend === 'reference' || f.backend === 'webgpu') && f.threads !== undefined) {
    problems.push(`--threads applies to the wasm backends; the ${f.backend} backend takes no thread count (drop --threads ${f.threads})`);
  }
  return problems;
}

/** Loads the backend the flags name (default wasm, one thread). */
export function loadBackendFromFlags(f: BackendFlagValues): Promise<E.Either<PureganError, Backend>> {
  return loadBackend(f.backend ?? 'wasm', f.threads === undefined ? {} : { threads: f.threads });
}
