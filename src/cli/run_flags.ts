import type { FlagTable } from './flags.js';

/**
 * `--run DIR`, the flag of every command that reads a run directory (eval, sample, export),
 * and its check, so they describe and require it the same way.
 */
export const RUN_FLAG = {
  run: { type: 'string', value: 'DIR', help: 'the run directory (required)' },
} as const satisfies FlagTable;

/** `--run` is required. */
export const checkRunFlag = (f: Readonly<{ run: string | undefined }>): string[] => (f.run === undefined ? ['--run DIR is required'] : []);

/** The exit codes of the commands that read a run directory, for their `--help`. */
export const RUN_EXIT_CODES = 'Exit codes: 0, 1 for a missing or bad run, 2 for bad arguments.';
