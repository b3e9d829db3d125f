/**
 * The CLI as a user meets it: `node dist/src/cli/main.js ...` in a child process, checking
 * the exit code and that a usage error is one line on stderr naming every problem.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/app.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const referenceDir = join(root, '..', 'shared', 'reference');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });

/** Asserts a usage error: exit code 2, nothing on stdout, exactly one line on stderr; returns it. */
function usageError(...args: string[]): string {
  const r = run(...args);
  assert.equal(r.status, 2, `exit code of puregan ${args.join(' ')}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  return lines[0]!;
}

describe('puregan CLI', () => {
  it('runs as the package bin itself (dist/src/cli/main.js is executable and starts with a node shebang), as `npx puregan` runs it', () => {
    const r = spawnSync(cli, ['help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /puregan train/);
  });

  it('help lists every command of the table with its summary, and exits 0', () => {
    const r = run('help');
    assert.equal(r.status, 0);
    assert.deepEqual(
      COMMANDS.map((c) => c.name),
      ['info', 'check-reference', 'inspect', 'train', 'eval', 'sample', 'export', 'report', 'help'],
    );
    for (const c of COMMANDS) {
      assert.match(r.stdout, new RegExp(`^  puregan ${c.name}\\b`, 'm'));
      assert.ok(r.stdout.includes(c.summary), c.summary);
    }
  });

  it('with no command it prints the usage on stderr and exits 2', () => {
    const r = run();
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^ {2}puregan check-reference <dir>/m);
  });

  for (const c of COMMANDS) {
    it(`${c.name} --help prints the command's usage and every option, and exits 0`, () => {
      const r = run(c.name, '--help');
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^puregan ${c.name}\\b`));
      assert.match(r.stdout, /^Options:$/m);
      for (const flag of Object.keys(c.flags)) assert.match(r.stdout, new RegExp(`^  --${flag}\\b`, 'm'), `--${flag} in ${c.name} --help`);
      assert.equal(run('help', c.name).stdout, r.stdout);
    });

    it(`${c.name} with an unknown flag is one line on stderr naming it, exit 2`, () => {
      assert.match(usageError(c.name, '--no-such-flag'), new RegExp(`^puregan ${c.name}: .*unknown option --no-such-flag`));
    });
  }

  it('sample, export and eval describe --run alike and require it', () => {
    for (const name of ['sample', 'export', 'eval']) {
      assert.match(run(name, '--help').stdout, /^  --run DIR +the run directory \(required\)$/m);
      assert.match(usageError(name), /--run DIR is required/);
    }
  });

  it('bad numbers for train are one line each listed: negative steps, batch 0, a non-numeric seed', () => {
    const line = usageError('train', '--preset', 'gaussians-8', '--steps', '-3', '--batch', '0', '--seed', 'abc');
    for (const p of [/--steps must be an integer from 0 to \d+, got "-3"/, /--batch must be an integer from 1 to \d+, got "0"/, /--seed must be an integer from 0 to \d+, got "abc"/]) assert.match(line, p);
  });

  it('train --list-presets lists mnist-infogan and mnist-acgan with their descriptions', () => {
    const r = run('train', '--list-presets');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^mnist-infogan +MNIST digits, InfoGAN \(a 10-value categorical and 2 continuous codes/m);
    assert.match(r.stdout, /^mnist-acgan +MNIST digits, class-conditional ACGAN/m);
  });

  it('-h works like --help, even next to a bad flag', () => {
    const r = run('check-reference', '--bogus', '-h');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--backend NAME/);
  });

  it('--threads -1 is rejected by its range, not with parseArgs\' "ambiguous" text', () => {
    const line = usageError('check-reference', referenceDir, '--threads', '-1');
    assert.match(line, /--threads must be an integer from 1 to 64, got "-1"/);
    assert.doesNotMatch(line, /ambiguous/);
  });

  it('names every problem in one line: two unknown flags, a bad value and a missing argument', () => {
    const line = usageError('check-reference', '--fast', '--quiet', '--threads', '0');
    assert.match(line, /^puregan check-reference: 3 problems: /);
    assert.match(line, /unknown options --fast, --quiet/);
    assert.match(line, /--threads must be an integer from 1 to 64, got "0"/);
    assert.match(line, /expected 1 argument \(<dir>\), got 0/);
  });

  it('--backend reference with --threads is an error instead of silently running one thread', () => {
    const line = usageError('check-reference', referenceDir, '--backend', 'reference', '--threads', '2');
    assert.match(line, /--threads applies to the wasm backends/);
  });

  it('info rejects an argument it does not take', () => {
    assert.match(usageError('info', 'extra'), /expected no arguments, got 1: extra/);
  });

  it('an unknown command is one line listing the commands', () => {
    assert.match(usageError('frobnicate'), /unknown command "frobnicate" \(commands: info, check-reference, inspect, train, eval, sample, export, report, help\)/);
    assert.match(usageError('help', 'frobnicate'), /unknown command "frobnicate"/);
  });

  it('info --json reports the versions and the wasm backend, exiting 0', () => {
    const r = run('info', '--json');
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(info['node'], process.versions.node);
    assert.match(String(info['wasmBackend']), /wasm/);
  });
});
