import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/core/tensor.js';
import { ShapeError, ValueError } from '../../src/core/errors.js';
import { classAgreement, mnistScore, predictedClasses } from '../../src/metrics/class_probabilities.js';

const oneHotRows = (labels: readonly number[], classes: number) =>
  tensor(
    [labels.length, classes],
    labels.flatMap((y) => Array.from({ length: classes }, (_, c) => (c === y ? 1 : 0))),
  );

describe('mnistScore', () => {
  it('is C for confident predictions spread equally over C classes', () => {
    assert.ok(Math.abs(mnistScore(oneHotRows([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10)) - 10) < 1e-12);
  });

  it('is 1 when every sample has the same class distribution', () => {
    const p = tensor([3, 4], [0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4, 0.1, 0.2, 0.3, 0.4]);
    assert.ok(Math.abs(mnistScore(p) - 1) < 1e-6);
  });

  it('equals the hand-computed value for a half-confident pair', () => {
    // p₁ = (1, 0), p₂ = (½, ½): p(y) = (¾, ¼).
    // KL₁ = log(4/3); KL₂ = ½ log(⅔) + ½ log 2; score = exp((KL₁ + KL₂)/2).
    const expected = Math.exp((Math.log(4 / 3) + 0.5 * Math.log(2 / 3) + 0.5 * Math.log(2)) / 2);
    assert.ok(Math.abs(mnistScore(tensor([2, 2], [1, 0, 0.5, 0.5])) - expected) < 1e-12);
  });

  it('is C/k for confident predictions on k of C classes used equally (mode collapse)', () => {
    assert.ok(Math.abs(mnistScore(oneHotRows([3, 7, 3, 7], 10)) - 2) < 1e-12);
  });

  it('rejects logits (rows that do not sum to 1) and negative values', () => {
    assert.throws(() => mnistScore(tensor([1, 2], [2, 3])), /softmax/);
    assert.throws(() => mnistScore(tensor([1, 2], [1.5, -0.5])), ValueError);
    assert.throws(() => mnistScore(tensor([4], [0.25, 0.25, 0.25, 0.25])), ShapeError);
  });
});

describe('predictedClasses', () => {
  it('returns the argmax of each row', () => {
    assert.deepEqual(Array.from(predictedClasses(tensor([3, 3], [0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6]))), [1, 0, 2]);
  });
});

describe('classAgreement', () => {
  it('is the fraction of rows whose argmax is the requested class', () => {
    const p = tensor([4, 3], [0.1, 0.7, 0.2, 0.5, 0.3, 0.2, 0.2, 0.2, 0.6, 0.6, 0.3, 0.1]);
    assert.equal(classAgreement(p, [1, 0, 1, 2]), 0.5);
  });

  it('is 1 for one-hot rows of the requested classes and 0 when every row is another class', () => {
    const labels = [3, 1, 4, 1, 5, 9, 2, 6];
    assert.equal(classAgreement(oneHotRows(labels, 10), labels), 1);
    assert.equal(classAgreement(oneHotRows(labels, 10), labels.map((y) => (y + 1) % 10)), 0);
  });

  it('rejects a requested-class list of another length, and ids outside [0, C)', () => {
    assert.throws(() => classAgreement(oneHotRows([0, 1], 3), [0]), ShapeError);
    assert.throws(() => classAgreement(oneHotRows([0, 1], 3), [0, 3]), ValueError);
    assert.throws(() => classAgreement(oneHotRows([0, 1], 3), [0, 0.5]), ValueError);
  });
});
