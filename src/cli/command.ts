import * as E from 'fp-ts/lib/Either.js';
import { UsageError } from '../core/errors.js';
import { flagHelp, flagSynopsis, scanFlags, wantsHelp, type FlagTable, type ParsedArgs } from './flags.js';

/**
 * One subcommand of the `puregan` CLI. The usage line, `puregan help` and
 * `puregan <name> --help` are all built from these fields, so a command is described once.
 */
export type Command<T extends FlagTable = FlagTable> = Readonly<{
  name: string;
  /** One line for `puregan help`. */
  summary: string;
  /** Positional arguments in order: `<dir>` is required, `[command]` optional. */
  args: readonly string[];
  flags: T;
  /** Extra paragraphs for `--help` (what it prints, exit codes). */
  details?: string;
  /** Problems no single flag shows (flags that contradict each other); reported with the rest. */
  check?(a: ParsedArgs<T>): readonly string[];
  /** Runs the command on checked arguments; resolves to the exit code. */
  run(a: ParsedArgs<T>): Promise<number>;
}>;

/** A command with its flag types checked against its own table (`run` sees typed flags). */
export const defineCommand = <T extends FlagTable>(c: Command<T>): Command<T> => c;

/** `puregan check-reference <dir> [--backend NAME] ...`. */
export function synopsis(c: Command): string {
  return ['puregan', c.name, ...c.args, flagSynopsis(c.flags)].filter((s) => s !== '').join(' ');
}

/** The text of `puregan <name> --help`. */
export function commandHelp(c: Command): string {
  return [synopsis(c), '', c.summary, ...(c.details === undefined ? [] : ['', c.details]), '', 'Options:', flagHelp(c.flags)].join('\n');
}

/** Checks the positional argument count against `args` (`<x>` required, `[x]` optional). */
function checkPositionals(c: Command, positionals: readonly string[]): string[] {
  const min = c.args.filter((a) => a.startsWith('<')).length;
  const max = c.args.length;
  if (positionals.length >= min && positionals.length <= max) return [];
  const want = min === max ? `${min}` : `${min} to ${max}`;
  const what = max === 0 ? 'no arguments' : `${want} argument${max === 1 ? '' : 's'} (${c.args.join(' ')})`;
  return [`expected ${what}, got ${positionals.length}${positionals.length > 0 ? `: ${positionals.join(' ')}` : ''}`];
}

/**
 * Parses and checks `args` for `c`, collecting every problem: flag errors, the positional
 * count and the command's own `check`. Left: a UsageError listing them all.
 */
export function parseCommandLine<T extends FlagTable>(c: Command<T>, args: readonly string[]): E.Either<UsageError, ParsedArgs<T>> {
  const { problems: flagProblems, ...parsed } = scanFlags(c.flags, args);
  const problems = [...flagProblems, ...checkPositionals(c, parsed.positionals), ...(c.check?.(parsed) ?? [])];
  return problems.length > 0 ? E.left(new UsageError(problems)) : E.right(parsed);
}

/**
 * Runs `c` on `args`: prints its help for `--help`/`-h`, rejects with a UsageError listing
 * every problem, else resolves to what `run` returns.
 */
export async function runCommand<T extends FlagTable>(c: Command<T>, args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(commandHelp(c as unknown as Command));
    return 0;
  }
  const parsed = parseCommandLine(c, args);
  if (E.isLeft(parsed)) throw parsed.left;
  return c.run(parsed.right);
}
