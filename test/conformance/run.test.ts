import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { checkReferenceDir, type CaseReport } from '../../src/conformance/run.js';
import { parseCase } from '../../src/conformance/cases.js';
import { referenceBackend } from '../../src/backend/reference.js';
import { loadWasmBackend } from '../../src/backend/wasm/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const referenceDir = join(root, '..', 'shared', 'reference');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

const unsupportedOps = (reports: readonly CaseReport[]): string[] => [...new Set(reports.filter((x) => 'unsupported' in x).map((x) => x.op))].sort();

/** Runs `body` with a fresh temporary directory, removed afterwards. */
function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'puregan-ref-'));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('check-reference', () => {
  it('passes every supported case of ../shared/reference on the reference backend', () => {
    const r = checkReferenceDir(referenceDir, referenceBackend);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const { reports, summary } = r.right;
    const failed = reports.filter((x) => 'ok' in x && !x.ok);
    assert.deepEqual(failed, []);
    assert.deepEqual(unsupportedOps(reports), []);
    assert.ok(summary.passed >= 56, `only ${summary.passed} cases passed`);
    const ops = new Set(reports.filter((x) => 'ok' in x).map((x) => x.op));
    for (const op of ['linear', 'conv2d', 'conv_transpose2d', 'spectral_norm', 'batch_norm', 'instance_norm', 'gradient_penalty', 'r1_penalty', 'gan_loss', 'optimizer', 'gan_step', 'frechet_distance', 'kernel_distance']) {
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
      assert.deepEqual(unsupportedOps(reports), []);
      assert.ok(summary.passed >= 56, `only ${summary.passed} cases passed`);
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
  it('fails on a directory that holds no cases, naming it', () => {
    withTempDir((dir) => {
      mkdirSync(join(dir, 'empty-sub'));
      const r = run('check-reference', dir, '--backend', 'reference');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /no reference cases in .*puregan-ref-.*: expected \*\.json case files in it or its sub-folders/);
      assert.doesNotMatch(r.stdout, /0 passed/);
    });
  });

  it('recurses into sub-folders', () => {
    withTempDir((dir) => {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'a', 'b', 'linear.json'), readFileSync(join(referenceDir, 'linear.json')));
      const r = checkReferenceDir(dir, referenceBackend);
      assert.ok(E.isRight(r));
      assert.deepEqual(r.right.reports.map((x) => [x.name, 'ok' in x && x.ok]), [['linear', true]]);
    });
  });

  it('rejects a string inside data other than "NaN", "Infinity" and "-Infinity", naming the index', () => {
    const bad = parseCase({ name: 'c', op: 'relu', inputs: { x: { shape: [3], data: [1, 'two', 3] } }, outputs: {} }, 'bad.json');
    assert.ok(E.isLeft(bad));
    assert.match(bad.left.message, /inputs\.x\.data\[1\]: expected a number or one of "NaN", "Infinity", "-Infinity", got "two"/);
    const ok = parseCase({ name: 'c', op: 'relu', inputs: { x: { shape: [3], data: ['NaN', 'Infinity', '-Infinity'] } }, outputs: {} }, 'ok.json');
    assert.ok(E.isRight(ok));
    const x = ok.right.inputs.x!.data;
    assert.ok(Number.isNaN(x[0]) && x[1] === Infinity && x[2] === -Infinity);
  });

  it('accepts outputs stored as plain numbers (per-step losses) as 0-d tensors', () => {
    const c = parseCase({ name: 'c', op: 'gan_step', inputs: {}, outputs: { g_loss_0: 0.25 } }, 'c.json');
    assert.ok(E.isRight(c), E.isLeft(c) ? c.left.message : '');
    assert.deepEqual(c.right.outputs.g_loss_0!.shape, []);
    assert.equal(c.right.outputs.g_loss_0!.data[0], 0.25);
  });

  it('reports a malformed file by its message alone, without error numbers', () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'broken.json'), JSON.stringify({ name: 'broken', op: 'relu', inputs: { x: { shape: [2], data: [1] } }, outputs: {} }));
      const text = run('check-reference', dir, '--backend', 'reference');
      assert.equal(text.status, 1);
      assert.match(text.stdout, /FAIL .*broken\.json \(\?\): [\s\S]*inputs\.x: shape \[2\] needs 2 values, data has 1/);
      assert.doesNotMatch(text.stdout, /max abs|NaN/);
      const json = run('check-reference', dir, '--backend', 'reference', '--json');
      const line = JSON.parse(json.stdout.split('\n')[0]!) as Record<string, unknown>;
      assert.equal(line.ok, false);
      assert.match(String(line.error), /needs 2 values/);
      assert.ok(!('maxAbsErr' in line));
    });
  });
});
