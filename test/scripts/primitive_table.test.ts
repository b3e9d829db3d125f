/**
 * The README's primitives × backends table is the one the rule tables generate (run
 * `node dist/scripts/primitive_table.js` after adding a primitive or a rule).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PRIMITIVES } from '../../src/ops/primitives.js';
import { NOT_LOWERED } from '../../src/backend/webgpu/lower.js';
import { primitiveTable, withTable } from '../../scripts/primitive_table.js';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('README primitive table', () => {
  it('is up to date with the rule tables', () => {
    assert.equal(readme, withTable(readme), 'README.md is out of date: run node dist/scripts/primitive_table.js');
  });

  it('has one row per primitive, each with a webgpu lowering except the ones listed as not lowered', () => {
    const rows = primitiveTable().split('\n').slice(2);
    assert.equal(rows.length, PRIMITIVES.length);
    rows.forEach((r, i) => assert.ok((NOT_LOWERED.has(PRIMITIVES[i]!) ? /\| — \|$/ : /\| (WGSL|alias) \|$/).test(r), r));
  });
});
