/**
 * The README's TypeScript examples are compiled with tsc (strict) and run, as a user of the
 * package would: each ```ts block that imports 'puregan' is written into the package (so the
 * name resolves to this package through its `exports`), compiled, and run with node.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => /from 'puregan(\/testing)?'/.test(code));

describe('README examples', () => {
  it('there are examples to check', () => {
    assert.ok(blocks.length >= 2, `found ${blocks.length} examples`);
  });
  blocks.forEach((code, i) => {
    it(`example ${i + 1} (${code.split('\n')[0]!.slice(0, 60)}…) compiles under --strict and runs`, () => {
      const dir = mkdtempSync(join(root, '.readme-example-'));
      try {
        const file = join(dir, `example${i}.mts`);
        writeFileSync(file, code);
        const tsc = spawnSync(
          process.execPath,
          [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--module', 'nodenext', '--target', 'es2022', '--ignoreConfig', '--strict', '--skipLibCheck', '--noEmitOnError', '--types', 'node', file],
          { encoding: 'utf8' },
        );
        assert.equal(tsc.status, 0, `tsc failed:\n${tsc.stdout}${tsc.stderr}`);
        const run = spawnSync(process.execPath, [join(dir, `example${i}.mjs`)], { encoding: 'utf8', timeout: 120_000 });
        assert.equal(run.status, 0, `the example failed:\n${run.stdout}${run.stderr}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
