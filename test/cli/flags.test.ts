import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flagHelp, flagSynopsis, scanFlags, wantsHelp, type FlagTable } from '../../src/cli/flags.js';

const TABLE = {
  json: { type: 'boolean', help: 'JSON output' },
  backend: { type: 'string', value: 'NAME', help: 'which backend' },
  threads: { type: 'integer', value: 'N', min: 1, max: 64, help: 'how many threads' },
} as const satisfies FlagTable;

describe('scanFlags', () => {
  it('reads --name value, --name=value and booleans, with positionals anywhere', () => {
    const r = scanFlags(TABLE, ['a', '--backend', 'wasm', 'b', '--threads=3', '--json', 'c']);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.flags, { backend: 'wasm', threads: 3, json: true });
    assert.deepEqual(r.positionals, ['a', 'b', 'c']);
  });

  it('leaves booleans false and value flags undefined when they are not given', () => {
    const r = scanFlags(TABLE, []);
    assert.deepEqual(r.flags, { json: false });
    assert.equal(r.flags.threads, undefined);
  });

  it('treats everything after -- as positionals', () => {
    const r = scanFlags(TABLE, ['--json', '--', '--threads', '-x']);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.positionals, ['--threads', '-x']);
  });

  it('reads --threads -1 as the value -1 and rejects it by its range, not as an ambiguous flag', () => {
    const r = scanFlags(TABLE, ['--threads', '-1']);
    assert.deepEqual(r.problems, ['--threads must be an integer from 1 to 64, got "-1"']);
    assert.deepEqual(r.positionals, []);
  });

  it('accepts exactly the integers in range for an integer flag', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -100, max: 100 }).map(String), fc.string()), (raw) => {
        const r = scanFlags(TABLE, [`--threads=${raw}`]);
        const n = Number(raw);
        const ok = /^[+-]?\d+$/.test(raw) && n >= 1 && n <= 64;
        assert.equal(r.problems.length === 0, ok, `"${raw}": ${r.problems.join(', ')}`);
        if (ok) assert.equal(r.flags.threads, n);
      }),
    );
  });

  it('reports every unknown flag, in one problem that lists the valid ones', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z-]{0,8}$/), { minLength: 1, maxLength: 4 }), (names) => {
        const unknown = names.filter((n) => !Object.hasOwn(TABLE, n));
        const r = scanFlags(TABLE, unknown.map((n) => `--${n}`));
        if (unknown.length === 0) return;
        assert.equal(r.problems.length, 1);
        for (const n of unknown) assert.ok(r.problems[0]!.includes(`--${n}`), r.problems[0]);
        assert.match(r.problems[0]!, /options: --json, --backend, --threads/);
      }),
    );
  });

  it('reports every problem at once: unknown flag, missing value, bad value, repeated flag, value on a boolean', () => {
    const r = scanFlags(TABLE, ['--bogus', '--threads', '0', '--json=yes', '--json', '--backend']);
    assert.deepEqual(r.problems, [
      'unknown option --bogus (options: --json, --backend, --threads)',
      '--threads must be an integer from 1 to 64, got "0"',
      '--json takes no value, got "yes"',
      '--json is given more than once',
      '--backend needs a value (NAME)',
    ]);
  });

  it('does not take the next flag as the value of a value flag', () => {
    const r = scanFlags(TABLE, ['--backend', '--json']);
    assert.deepEqual(r.problems, ['--backend needs a value (NAME)']);
    assert.equal(r.flags.json, true);
  });

  it('does not mistake inherited object keys for flags', () => {
    const r = scanFlags(TABLE, ['--constructor', '--toString']);
    assert.match(r.problems[0]!, /unknown options --constructor, --toString/);
  });
});

describe('help from the flag table', () => {
  it('wantsHelp sees --help and -h before --, and nothing after it', () => {
    assert.equal(wantsHelp(['x', '--help']), true);
    assert.equal(wantsHelp(['-h']), true);
    assert.equal(wantsHelp(['--', '--help']), false);
    assert.equal(wantsHelp(['--json']), false);
  });

  it('the synopsis shows each flag with its value placeholder', () => {
    assert.equal(flagSynopsis(TABLE), '[--json] [--backend NAME] [--threads N]');
  });

  it('the help has one aligned line per flag and one for --help', () => {
    assert.deepEqual(flagHelp(TABLE).split('\n'), [
      '  --json          JSON output',
      '  --backend NAME  which backend',
      '  --threads N     how many threads',
      '  -h, --help      this text',
    ]);
  });
});
