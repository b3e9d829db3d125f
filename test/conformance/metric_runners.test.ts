import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { checkCase, checkReferenceDir } from '../../src/conformance/run.js';
import { parseCase } from '../../src/conformance/cases.js';
import { referenceBackend } from '../../src/backend/reference.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const metricsDir = join(root, '..', 'shared', 'reference', 'metrics');

/** The case in `file` with its expected value multiplied by `factor`. */
function perturbed(file: string, factor: number) {
  const raw = JSON.parse(readFileSync(join(metricsDir, file), 'utf8')) as { outputs: { value: number } };
  raw.outputs.value *= factor;
  const c = parseCase(raw, file);
  assert.ok(E.isRight(c));
  return c.right;
}

describe('metric reference cases', () => {
  it('passes every frechet_distance and kernel_distance case of ../shared/reference/metrics', () => {
    const r = checkReferenceDir(metricsDir, referenceBackend);
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left.message : '');
    const { reports, summary } = r.right;
    assert.deepEqual(reports.filter((x) => !('ok' in x) || !x.ok), []);
    const ops = new Set(reports.map((x) => x.op));
    assert.ok(ops.has('frechet_distance') && ops.has('kernel_distance'));
    assert.ok(summary.passed >= 6, `only ${summary.passed} cases passed`);
  });

  it('fails an FD case whose expected value is off by 1e-5 relative (float64-grade tolerance)', () => {
    const report = checkCase(perturbed('fd_correlated.json', 1 + 1e-5));
    assert.ok('ok' in report && !report.ok, JSON.stringify(report));
  });

  it('fails a KID case whose expected value is off by 1e-5 relative', () => {
    const report = checkCase(perturbed('kid_correlated.json', 1 + 1e-5));
    assert.ok('ok' in report && !report.ok, JSON.stringify(report));
  });

  it('parses a plain-number output as a scalar', () => {
    const c = parseCase({ name: 'n', op: 'frechet_distance', inputs: {}, outputs: { value: 2.5 } }, 'inline');
    assert.ok(E.isRight(c));
    assert.deepEqual(c.right.outputs.value!.shape, []);
    assert.equal(c.right.outputs.value!.data[0], 2.5);
  });
});
