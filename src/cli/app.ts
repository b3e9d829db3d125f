import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runCheckReference } from './check_reference.js';
import { runInfo } from './info.js';

const USAGE = `puregan — a functional GAN framework on WebAssembly

Usage:
  puregan info [--bench] [--json]            environment, backends and (with --bench) a short kernel benchmark
  puregan check-reference <dir> [--backend NAME] [--threads N] [--json]
                                             check this build against PyTorch reference cases
  puregan help                               this text

Backends: wasm (default), wasm-simd, wasm-relaxed, reference.`;

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'info':
      return runInfo(rest);
    case 'check-reference':
      return runCheckReference(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`puregan: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

/** Parses flags with node:util, turning its errors into a usage message and exit code 2. */
export function parseFlags<T extends ParseArgsConfig>(config: T, args: readonly string[], command: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, args: [...args], strict: true });
  } catch (e) {
    throw new UsageError(`puregan ${command}: ${(e as Error).message}\n\n${USAGE}`);
  }
}

export class UsageError extends Error {}

/** Parses a --threads value: an integer from 1 to 64. */
export function parseThreads(v: string | undefined, command: string): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`puregan ${command}: --threads must be an integer from 1 to 64, got "${v}"`);
  }
  return n;
}
