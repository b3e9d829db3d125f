import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { checkReferenceDir } from '../../src/conformance/run.js';
import { parseCase } from '../../src/conformance/cases.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const referenceDir = join(root, '..', 'shared', 'reference');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('check-reference', () => {
  it('passes every supported case of ../shared/reference on the reference backend', () => {
    const r = checkReferenceDir(referenceDir, referenceBackend);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const { reports, summary } = r.right;
    const failed = reports.filter((x) => 'ok' in x && !x.ok);
    assert.deepEqual(failed, []);
    assert.equal(summary.unsupported, 0);
    assert.ok(summary.passed >= 45, `only ${summary.passed} cases passed`);
    const ops = new Set(reports.filter((x) => 'ok' in x).map((x) => x.op));
    for (const op of ['linear', 'conv2d', 'conv_transpose2d', 'spectral_norm', 'batch_norm', 'instance_norm', 'gradient_penalty', 'r1_penalty', 'gan_loss', 'optimizer']) {
      assert.ok(ops.has(op), `${op} is checked`);
    }
  });

  for (const variant of ['simd', 'relaxed'] as const) {
    it(`passes every case of ../shared/reference on the wasm backend (${variant} build)`, async () => {
      const b = await loadWasmBackend({ variant });
      const r = checkReferenceDir(referenceDir, b);
      assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
      const { reports, summary } = r.right;
      assert.deepEqual(reports.filter((x) => 'ok' in x && !x.ok), []);
      assert.equal(summary.unsupported, 0);
      assert.ok(summary.passed >= 45, `only ${summary.passed} cases passed`);
    });
  }

  it('accumulates every problem of a malformed case into one message', () => {
    const bad = parseCase({ name: 3, op: 'conv2d', inputs: { x: { shape: [2, 2], data: [1, 2, 3] }, w: { shape: 'x' } }, outputs: {} }, 'bad.json');
    assert.ok(E.isLeft(bad));
    const msg = bad.left.message;
    assert.match(msg, /"name" must be a string/);
    assert.match(msg, /inputs\.x: shape \[2, 2\] needs 4 values, data has 3/);
    assert.match(msg, /inputs\.w\.shape/);
  });

  it('the CLI prints one JSON line per case and a summary, exiting 0 when all pass', () => {
    const out = execFileSync(process.execPath, [cli, 'check-reference', referenceDir, '--backend', 'reference', '--json'], { encoding: 'utf8' });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.at(-1)!;
    assert.equal(summary.summary, true);
    assert.equal(summary.failed, 0);
    for (const l of lines.slice(0, -1)) {
      assert.ok('name' in l && 'op' in l && 'ok' in l);
      if (l.ok !== null) assert.ok(typeof l.maxAbsErr === 'number' && typeof l.maxRelErr === 'number');
    }
  });

  it('the CLI exits 1 when a case disagrees with the reference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puregan-ref-'));
    try {
      const c = JSON.parse(readFileSync(join(referenceDir, 'linear.json'), 'utf8')) as { outputs: { y: { data: number[] } } };
      c.outputs.y.data[0] = c.outputs.y.data[0]! + 0.5;
      writeFileSync(join(dir, 'linear_corrupted.json'), JSON.stringify(c));
      const r = run('check-reference', dir, '--backend', 'reference', '--json');
      assert.equal(r.status, 1);
      assert.match(r.stdout, /"ok":false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CLI names the problem and exits 2 for a missing directory, an unknown backend or flag', () => {
    const missing = run('check-reference', '/nonexistent/cases');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot list reference cases in \/nonexistent\/cases/);
    const backend = run('check-reference', referenceDir, '--backend', 'cuda');
    assert.equal(backend.status, 2);
    assert.match(backend.stderr, /unknown backend "cuda"; expected one of: wasm/);
    const flag = run('check-reference', referenceDir, '--fast');
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /--fast/);
    const cmd = run('frobnicate');
    assert.equal(cmd.status, 2);
    assert.match(cmd.stderr, /unknown command "frobnicate"/);
  });
});
