import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { commandHelp, defineCommand, parseCommandLine, synopsis } from '../../src/cli/command.js';
import { UsageError } from '../../src/core/errors.js';

const copy = defineCommand({
  name: 'copy',
  summary: 'copies a file',
  args: ['<from>', '<to>', '[mode]'],
  flags: { force: { type: 'boolean', help: 'overwrite' }, level: { type: 'integer', value: 'L', min: 0, max: 9, help: 'compression' } },
  check: ({ flags }) => (flags.force && flags.level !== undefined ? ['--force and --level do not mix'] : []),
  run: async () => 0,
});

describe('commands', () => {
  it('the synopsis and help come from the one definition', () => {
    assert.equal(synopsis(copy), 'puregan copy <from> <to> [mode] [--force] [--level L]');
    const help = commandHelp(copy);
    assert.ok(help.startsWith(`${synopsis(copy)}\n\ncopies a file\n`));
    assert.match(help, /--level L +compression/);
  });

  it('accepts the required arguments with or without the optional one', () => {
    assert.ok(E.isRight(parseCommandLine(copy, ['a', 'b'])));
    assert.ok(E.isRight(parseCommandLine(copy, ['a', 'b', 'fast'])));
  });

  it('rejects too few or too many arguments, naming what it expects', () => {
    for (const args of [['a'], ['a', 'b', 'c', 'd']]) {
      const r = parseCommandLine(copy, args);
      assert.ok(E.isLeft(r));
      assert.match(r.left.message, /expected 2 to 3 arguments \(<from> <to> \[mode\]\), got/);
    }
  });

  it('collects flag problems, the argument count and the command check into one UsageError', () => {
    const r = parseCommandLine(copy, ['a', '--force', '--level', '3', '--nope']);
    assert.ok(E.isLeft(r));
    assert.ok(r.left instanceof UsageError);
    assert.equal(r.left.tag, 'UsageError');
    assert.deepEqual(r.left.problems, [
      'unknown option --nope (options: --force, --level)',
      'expected 2 to 3 arguments (<from> <to> [mode]), got 1: a',
      '--force and --level do not mix',
    ]);
    assert.match(r.left.message, /^3 problems: \(1\) unknown option --nope .* \(2\) expected .* \(3\) --force and --level do not mix$/);
  });
});
