import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vjpRules } from '../../src/autodiff/rules.js';
import { evalRules } from '../../src/ops/impl.js';
import { PRIMITIVE_INPUTS, PRIMITIVES } from '../../src/ops/primitives.js';

describe('primitive coverage', () => {
  it('PRIMITIVES lists every primitive of the spec record once', () => {
    assert.equal(new Set(PRIMITIVES).size, PRIMITIVES.length);
    assert.deepEqual([...PRIMITIVES].sort(), Object.keys(PRIMITIVE_INPUTS).sort());
  });

  it('every primitive has an evaluation rule and a VJP rule, and the tables hold nothing else', () => {
    for (const p of PRIMITIVES) {
      assert.equal(typeof evalRules[p], 'function', `eval rule of ${p}`);
      assert.equal(typeof vjpRules[p], 'function', `VJP rule of ${p}`);
    }
    assert.deepEqual(Object.keys(evalRules).sort(), [...PRIMITIVES].sort());
    assert.deepEqual(Object.keys(vjpRules).sort(), [...PRIMITIVES].sort());
  });
});
