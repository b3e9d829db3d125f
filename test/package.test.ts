/**
 * What `npm pack` ships: the source maps of dist/src point at ../../src/*.ts, so the package
 * includes src/ (package.json `files`) and every map's sources resolve inside the package.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const packed = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [
  { files: { path: string }[] },
];
const inPackage = new Set(packed[0].files.map((f) => f.path));
const toPackagePath = (abs: string): string => relative(root, abs).split(sep).join('/');
const maps = (readdirSync(join(root, 'dist', 'src'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.js.map'))
  .map((f) => join(root, 'dist', 'src', f));

describe('the npm package', () => {
  it('ships every source map of dist/src with its .js', () => {
    assert.ok(maps.length >= 40, `only ${maps.length} source maps in dist/src`);
    const missing = maps.map(toPackagePath).filter((m) => !inPackage.has(m) || !inPackage.has(m.replace(/\.map$/, '')));
    assert.deepEqual(missing, []);
  });

  it('every source a map names is a file in the package', () => {
    const dangling = maps.flatMap((m) => {
      const map = JSON.parse(readFileSync(m, 'utf8')) as { sources: string[]; sourceRoot?: string };
      return map.sources
        .map((s) => toPackagePath(resolve(dirname(m), map.sourceRoot ?? '', s)))
        .filter((p) => !inPackage.has(p))
        .map((p) => `${toPackagePath(m)} → ${p}`);
    });
    assert.deepEqual(dangling, []);
  });

  it('does not ship the tests, benchmarks or scripts', () => {
    const extra = [...inPackage].filter((p) => /^(dist\/)?(test|bench|scripts)\//.test(p));
    assert.deepEqual(extra, []);
  });
});
