/** The CI seed pinning of test/setup/derandomize.ts, run in child processes with each environment. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CI_SEED } from './derandomize.js';

const setup = fileURLToPath(new URL('./derandomize.js', import.meta.url));
const probe = "import fc from 'fast-check'; console.log(JSON.stringify(fc.readConfigureGlobal().seed ?? null));";

/** The global fast-check seed a process sees after the setup module ran with `env`. */
function seedWith(env: Record<string, string>): { seed: number | null; status: number | null; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && k !== 'FC_SEED'));
  const r = spawnSync(process.execPath, ['--import', setup, '--input-type=module', '-e', probe], { env: { ...base, ...env }, encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) });
  return { seed: r.status === 0 ? (JSON.parse(r.stdout.trim()) as number | null) : null, status: r.status, stderr: r.stderr };
}

describe('derandomize (the test setup module)', () => {
  it('pins fast-check to CI_SEED when CI=true', () => {
    assert.equal(seedWith({ CI: 'true' }).seed, CI_SEED);
  });
  it('leaves the seed random outside CI', () => {
    const r = seedWith({});
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.seed, null);
  });
  it('takes FC_SEED anywhere, and FC_SEED=random unpins it under CI', () => {
    assert.equal(seedWith({ FC_SEED: '42' }).seed, 42);
    const r = seedWith({ CI: 'true', FC_SEED: 'random' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.seed, null);
  });
  it('rejects an FC_SEED that is not an integer, naming it', () => {
    const r = seedWith({ FC_SEED: 'abc' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FC_SEED must be an integer or "random", got "abc"/);
  });
});
