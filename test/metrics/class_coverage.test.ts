import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { classCoverage } from '../../src/metrics/class_coverage.js';

describe('classCoverage', () => {
  it('covers every class of a uniform histogram, with KL 0', () => {
    const r = classCoverage([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { classes: 10 });
    assert.equal(r.covered, 10);
    assert.equal(r.klFromUniform, 0);
  });

  it('covers one class with KL log C when every sample has the same label', () => {
    const r = classCoverage([4, 4, 4], { classes: 10 });
    assert.equal(r.covered, 1);
    assert.ok(Math.abs(r.klFromUniform - Math.log(10)) < 1e-12);
  });

  it('counts a class at exactly the threshold (5 of 100) as covered, 4 of 100 not', () => {
    const labels = [...Array(5).fill(1), ...Array(4).fill(2), ...Array(91).fill(0)];
    const r = classCoverage(labels, { classes: 3 });
    assert.deepEqual(Array.from(r.histogram), [0.91, 0.05, 0.04]);
    assert.equal(r.covered, 2);
  });

  it('equals the hand-computed KL of a (½, ½, 0, 0) histogram: log 2', () => {
    assert.ok(Math.abs(classCoverage([0, 1, 0, 1], { classes: 4 }).klFromUniform - Math.log(2)) < 1e-12);
  });

  it('rejects labels outside [0, C) and an empty set', () => {
    assert.throws(() => classCoverage([0, 10], { classes: 10 }), /label 1 is 10/);
    assert.throws(() => classCoverage([], { classes: 10 }), ValueError);
  });
});
