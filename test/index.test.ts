/**
 * The package's entry points: every browser entry of package.json's `exports` (all but
 * `./node`) bundles for the browser with no static `node:*` import reachable from it; the
 * Node-only parts are behind `puregan/node`. The bundles are made from the built files
 * (dist/src), which is what the package ships.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
type ExportEntry = Readonly<{ types: string; default: string }>;
const exportsMap = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, ExportEntry | string> }).exports;
/** Entries that may use Node built-ins. */
const NODE_ONLY = new Set(['./node', './package.json']);
const browserEntries = Object.entries(exportsMap)
  .filter(([name]) => !NODE_ONLY.has(name))
  .map(([name, e]) => [name, typeof e === 'string' ? e : e.default] as const);

/** Node built-ins by their bare names too (`zlib`, `stream`), as dependencies such as pngjs import them. */
const BUILTINS = new Set(builtinModules);

/**
 * Bundles `entry` for the browser and returns every static import of a `node:*` module (or of a
 * built-in by its bare name) reachable from it, as "importer → node:x". A dynamic
 * `import('node:…')` is allowed: code guards it by checking for Node first (threads, reading
 * the wasm file from disk).
 */
async function staticNodeImports(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    external: ['node:*', ...builtinModules],
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  return Object.entries(inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => (i.path.startsWith('node:') || BUILTINS.has(i.path)) && i.kind !== 'dynamic-import').map((i) => `${file} → ${i.path}`),
  );
}

describe('package entry points', () => {
  it('package.json lists the root entry and puregan/testing as browser entries', () => {
    assert.deepEqual(
      browserEntries.map(([name]) => name),
      ['.', './testing'],
    );
  });

  for (const [name, entry] of browserEntries) {
    it(`the ${name} entry (${entry}) bundles for the browser with no static node:* import`, async () => {
      const found = await staticNodeImports(entry);
      assert.deepEqual(found, [], `static Node built-in imports reachable from ${name}:\n  ${found.join('\n  ')}`);
    });
  }

  it('the check finds the static node:fs import of puregan/node (so it would catch one in the root)', async () => {
    const node = exportsMap['./node'] as ExportEntry;
    const found = await staticNodeImports(node.default);
    assert.ok(
      found.some((f) => f.endsWith('→ node:fs')),
      `expected a static node:fs import, found: ${found.join(', ')}`,
    );
  });

  it('puregan/node exports the conformance runner and the root no longer does', async () => {
    const rootModule = (await import('puregan' as string)) as Record<string, unknown>;
    const nodeModule = (await import('puregan/node' as string)) as Record<string, unknown>;
    assert.equal(typeof nodeModule['checkReferenceDir'], 'function');
    assert.equal(typeof nodeModule['checkCase'], 'function');
    assert.equal(rootModule['checkReferenceDir'], undefined);
    assert.equal(rootModule['checkCase'], undefined);
  });

  it('the root exports the optimisers and the GAN losses as namespaces', async () => {
    const rootModule = (await import('puregan' as string)) as Record<string, Record<string, unknown>>;
    for (const f of ['adam', 'adamw', 'sgd', 'rmsprop', 'chain', 'applyUpdates']) {
      assert.equal(typeof rootModule['optim']?.[f], 'function', `optim.${f}`);
    }
    for (const f of ['ganLoss', 'bceWithLogits', 'gradientPenalty', 'r1Penalty']) {
      assert.equal(typeof rootModule['losses']?.[f], 'function', `losses.${f}`);
    }
  });
});
