/**
 * The examples in examples/ are compiled with the project (tsconfig includes them, importing
 * 'puregan' by its package name as a user would) and each must run to completion: they
 * property-test what they define, so a run that exits 0 is a passed check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts'));

describe('examples', () => {
  it('there are examples to run', () => {
    assert.ok(examples.length >= 1);
  });
  for (const file of examples) {
    it(`examples/${file} runs and its properties hold`, () => {
      const r = spawnSync(process.execPath, [join(root, 'dist', 'examples', file.replace(/\.ts$/, '.js'))], { encoding: 'utf8', timeout: 120_000 });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    });
  }
});
