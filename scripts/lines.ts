/**
 * Line counts per folder (tinygrad's sz.py habit): `npm run lines`. Counts non-blank lines of
 * TypeScript / AssemblyScript source in src/*, assembly, test and bench.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '../../..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const folders = [
  ...readdirSync(join(root, 'src')).filter((f) => statSync(join(root, 'src', f)).isDirectory()).map((f) => join('src', f)),
  'assembly',
  'test',
  'bench',
];
let total = 0;
for (const folder of folders) {
  let n = 0;
  let files = 0;
  for (const f of walk(join(root, folder))) {
    n += readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
    files++;
  }
  total += n;
  console.log(`${relative(root, join(root, folder)).padEnd(20)} ${String(files).padStart(3)} files ${String(n).padStart(6)} lines`);
}
console.log(`${'total'.padEnd(20)} ${''.padStart(9)} ${String(total).padStart(6)} lines`);
