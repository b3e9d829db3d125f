import * as E from 'fp-ts/lib/Either.js';

/**
 * One command-line flag, `--name` (boolean) or `--name VALUE` / `--name=VALUE` (the others).
 * `value` is the placeholder shown in usage (`--threads N`); `help` its line in `--help`.
 */
export type FlagSpec =
  | Readonly<{ type: 'boolean'; help: string }>
  | Readonly<{ type: 'string'; value: string; help: string }>
  | Readonly<{ type: 'integer'; value: string; help: string; min: number; max: number }>;

/** A command's flags by name (without the leading `--`). */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

/** Parsed flag values: booleans are always present (false unless given), the others only when given. */
export type FlagValues<T extends FlagTable> = {
  readonly [K in keyof T]: T[K] extends { type: 'boolean' } ? boolean : T[K] extends { type: 'integer' } ? number | undefined : string | undefined;
};

export type ParsedArgs<T extends FlagTable> = Readonly<{ flags: FlagValues<T>; positionals: readonly string[] }>;

/** True when `args` ask for help (`--help` or `-h` before any `--`). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

const isFlag = (a: string): boolean => a.startsWith('-') && a !== '-';

/** Checks and converts one flag's value; returns the value or the problem with it. */
function convert(name: string, spec: FlagSpec, raw: string): E.Either<string, string | number> {
  if (spec.type === 'integer') {
    const n = Number(raw);
    return /^[+-]?\d+$/.test(raw) && Number.isSafeInteger(n) && n >= spec.min && n <= spec.max
      ? E.right(n)
      : E.left(`--${name} must be an integer from ${spec.min} to ${spec.max}, got "${raw}"`);
  }
  return E.right(raw);
}

/**
 * Reads `args` against `table`: the flags and positionals it could read, and every problem
 * found (unknown flags, missing or bad values, repeated flags), not only the first. Flags and
 * positionals may be interleaved; `--` ends the flags. A value flag takes the next argument as
 * its value unless it starts with `--`, so `--threads -1` is read as the value -1 (and
 * rejected by its range).
 */
export function scanFlags<T extends FlagTable>(table: T, args: readonly string[]): ParsedArgs<T> & Readonly<{ problems: readonly string[] }> {
  const values: Record<string, string | number | boolean> = {};
  const positionals: string[] = [];
  const problems: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!isFlag(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : '';
    const spec = Object.hasOwn(table, name) ? table[name] : undefined;
    if (spec === undefined) {
      unknown.push(eq === -1 ? arg : arg.slice(0, eq));
      continue;
    }
    if (Object.hasOwn(values, name)) problems.push(`--${name} is given more than once`);
    if (spec.type === 'boolean') {
      if (eq !== -1) problems.push(`--${name} takes no value, got "${arg.slice(eq + 1)}"`);
      values[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) {
      raw = arg.slice(eq + 1);
    } else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
      raw = args[++i]!;
    }
    if (raw === undefined) {
      problems.push(`--${name} needs a value (${spec.value})`);
      continue;
    }
    const v = convert(name, spec, raw);
    if (E.isLeft(v)) problems.push(v.left);
    else values[name] = v.right;
  }
  for (const [name, spec] of Object.entries(table)) {
    if (spec.type === 'boolean' && !Object.hasOwn(values, name)) values[name] = false;
  }
  if (unknown.length > 0) {
    const known = Object.keys(table).map((k) => `--${k}`);
    problems.unshift(
      `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (${known.length > 0 ? `options: ${known.join(', ')}` : 'this command takes no options'})`,
    );
  }
  return { flags: values as FlagValues<T>, positionals, problems };
}

/** The usage synopsis of a flag table: `[--backend NAME] [--json]`. */
export function flagSynopsis(table: FlagTable): string {
  return Object.entries(table)
    .map(([name, spec]) => (spec.type === 'boolean' ? `[--${name}]` : `[--${name} ${spec.value}]`))
    .join(' ');
}

/** One line per flag (and `--help`), names padded into a column. */
export function flagHelp(table: FlagTable): string {
  const rows = [
    ...Object.entries(table).map(([name, spec]) => [spec.type === 'boolean' ? `--${name}` : `--${name} ${spec.value}`, spec.help] as const),
    ['-h, --help', 'this text'] as const,
  ];
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`).join('\n');
}
