import { PureganError, UsageError } from '../core/errors.js';
import { BACKEND_NAMES } from '../backend/load.js';
import { checkReferenceCommand } from './check_reference.js';
import { commandHelp, defineCommand, runCommand, synopsis, type Command } from './command.js';
import { infoCommand } from './info.js';
import { inspectCommand } from './inspect.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { sampleCommand } from './sample.js';
import { exportCommand } from './export.js';
import { reportCommand } from './report.js';

/** `puregan help [command]`: the command list, or one command's help. */
const helpCommand = defineCommand({
  name: 'help',
  summary: "this text, or a command's options and exit codes",
  args: ['[command]'],
  flags: {},
  check: ({ positionals }) => (positionals[0] === undefined || findCommand(positionals[0]) ? [] : [unknownCommand(positionals[0])]),
  async run({ positionals }) {
    const c = positionals[0] === undefined ? undefined : findCommand(positionals[0]);
    console.log(c === undefined ? usage() : commandHelp(c));
    return 0;
  },
});

/**
 * Every subcommand, in the order `puregan help` lists them. A new command is a file exporting
 * a `Command` (see command.ts) and one entry here.
 */
export const COMMANDS: readonly Command[] = [infoCommand, checkReferenceCommand, inspectCommand, trainCommand, evalCommand, sampleCommand, exportCommand, reportCommand, helpCommand];

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

const unknownCommand = (name: string): string => `unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`;

/** The text of `puregan help`, built from COMMANDS. */
export function usage(): string {
  return [
    'puregan — a functional GAN framework on WebAssembly',
    '',
    'Usage:',
    ...COMMANDS.flatMap((c) => [`  ${synopsis(c)}`, `      ${c.summary}`]),
    '',
    `Backends: ${BACKEND_NAMES.join(', ')} (wasm is the default). \`puregan <command> --help\` for a command's options.`,
  ].join('\n');
}

/**
 * Runs the CLI with argv (without node and script); resolves to the exit code. Usage errors
 * print one line naming every problem and give 2; other puregan errors print one line and
 * give 1; anything else is a bug and propagates.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    console.error(usage());
    return 2;
  }
  const name = first === '--help' || first === '-h' ? 'help' : first;
  const command = findCommand(name);
  if (command === undefined) {
    console.error(`puregan: ${unknownCommand(name)}; \`puregan help\` lists them`);
    return 2;
  }
  try {
    return await runCommand(command, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`puregan ${command.name}: ${e.message} (\`puregan ${command.name} --help\` for usage)`);
      return 2;
    }
    if (e instanceof PureganError) {
      console.error(`puregan ${command.name}: ${e.tag}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
