import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { codeClassAccuracy } from '../../src/metrics/code_class_accuracy.js';

describe('codeClassAccuracy', () => {
  it('is 1, with the matching the permutation, when every code value names one class under a relabelling', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { minLength: 10, maxLength: 10 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 60 }), (perm, codes) => {
        const r = codeClassAccuracy({ codes, predicted: codes.map((k) => perm[k]!), codeValues: 10, classes: 10 });
        assert.equal(r.accuracy, 1);
        for (const k of new Set(codes)) assert.equal(r.matching[k], perm[k]);
      }),
    );
  });

  it('equals the hand-counted best matching: codes 0,0,0,1,1,2 read as 1,1,2,1,2,0 → 0→1, 1→2, 2→0, 4 of 6', () => {
    const r = codeClassAccuracy({ codes: [0, 0, 0, 1, 1, 2], predicted: [1, 1, 2, 1, 2, 0], codeValues: 3, classes: 3 });
    assert.deepEqual([...r.matching], [1, 2, 0]);
    assert.equal(r.accuracy, 4 / 6);
    assert.deepEqual([...r.counts], [0, 2, 1, 0, 1, 1, 1, 0, 0]);
  });

  it('matches each class at most once: two code values both read as class 0 score one of them', () => {
    const r = codeClassAccuracy({ codes: [0, 0, 1], predicted: [0, 0, 0], codeValues: 2, classes: 2 });
    assert.equal(r.accuracy, 2 / 3);
    assert.deepEqual([...r.matching], [0, 1]);
  });

  it('leaves a code value unmatched (−1) when there are more code values than classes', () => {
    const r = codeClassAccuracy({ codes: [0, 1, 2, 2], predicted: [1, 0, 0, 0], codeValues: 3, classes: 2 });
    assert.equal(r.accuracy, 3 / 4);
    assert.deepEqual([...r.matching], [1, -1, 0]);
  });

  it('rejects mismatched lengths, an empty set and ids out of range', () => {
    assert.throws(() => codeClassAccuracy({ codes: [0, 1], predicted: [0], codeValues: 2, classes: 2 }), ShapeError);
    assert.throws(() => codeClassAccuracy({ codes: [], predicted: [], codeValues: 2, classes: 2 }), ShapeError);
    assert.throws(() => codeClassAccuracy({ codes: [2], predicted: [0], codeValues: 2, classes: 2 }), /codes\[0\] is 2/);
    assert.throws(() => codeClassAccuracy({ codes: [0], predicted: [0.5], codeValues: 2, classes: 2 }), ValueError);
  });
});
