/**
 * The default backend: ops called before `init()` run on the reference backend and say so,
 * once. Each case runs in a fresh Node process (the warning is once per process), importing
 * the built package as a user would.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const entry = new URL('../../src/index.js', import.meta.url).href;

/** Runs `body` (ES module code with `P` the package root) in a fresh Node; returns stderr. */
function stderrOf(body: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as P from ${JSON.stringify(entry)};\n${body}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr;
}

const warnings = (stderr: string): number => stderr.split('PUREGAN_NO_BACKEND').length - 1;

const MATMUL = 'P.ops.matmul(P.ones([4, 4]), P.ones([4, 4]));';
const CONV = 'P.ops.conv2d(P.ones([1, 1, 4, 4]), P.ones([2, 1, 3, 3]));';

describe('the default backend', () => {
  it('warns once, naming init(), when kernels first run without a chosen backend', () => {
    const err = stderrOf(`${MATMUL} ${MATMUL} ${CONV}`);
    assert.equal(warnings(err), 1, err);
    assert.match(err, /float64 reference backend/);
    assert.match(err, /await init\(\)/);
  });

  it('a conv kernel alone triggers it too', () => {
    assert.equal(warnings(stderrOf(CONV)), 1);
  });

  it('does not warn for ops that use no kernel (elementwise, reductions)', () => {
    assert.equal(stderrOf('P.ops.mean(P.ops.add(P.ones([3]), P.ones([3])));'), '');
  });

  it('does not warn when the reference backend is chosen explicitly', () => {
    assert.equal(stderrOf(`P.useBackend(P.referenceBackend); ${MATMUL} ${CONV}`), '');
    assert.equal(stderrOf(`P.withBackend(P.referenceBackend, () => { ${MATMUL} });`), '');
  });

  it('does not warn after init()', () => {
    assert.equal(stderrOf(`await P.init({ threads: 1 }); ${MATMUL} ${CONV}`), '');
  });

  it('computes the same results as the reference backend while warning', () => {
    const out = spawnSync(
      process.execPath,
      ['--no-warnings', '--input-type=module', '-e', `import * as P from ${JSON.stringify(entry)};
const a = P.tensor([2, 2], [1, 2, 3, 4]);
const before = Array.from(P.ops.matmul(a, a).data);
P.useBackend(P.referenceBackend);
console.log(JSON.stringify([before, Array.from(P.ops.matmul(a, a).data)]));`],
      { encoding: 'utf8' },
    );
    const [unchosen, chosen] = JSON.parse(out.stdout) as [number[], number[]];
    assert.deepEqual(unchosen, [7, 10, 15, 22]);
    assert.deepEqual(chosen, [7, 10, 15, 22]);
  });
});
