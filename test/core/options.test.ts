import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkOptions, checkPositiveInt } from '../../src/core/options.js';
import { ValueError } from '../../src/core/errors.js';
import { ones } from '../../src/core/tensor.js';
import * as ops from '../../src/ops/index.js';
import * as nn from '../../src/nn/index.js';
import { init } from '../../src/index.js';

const isValueError = (pattern: RegExp) => (e: unknown) => e instanceof ValueError && pattern.test(e.message);

describe('checkOptions', () => {
  it('accepts any subset of the valid keys', () => {
    checkOptions('f', {}, { a: true, b: true });
    checkOptions('f', { a: 1, b: undefined }, { a: true, b: true });
  });

  it('names the function and every unknown key, and lists the valid ones', () => {
    assert.throws(
      () => checkOptions('f', { a: 1, zz: 2, yy: 3 } as { a: number }, { a: true }),
      isValueError(/^f: unknown options "zz", "yy"; valid options: a$/),
    );
  });

  it('suggests the valid key that differs only in case', () => {
    assert.throws(
      () => checkOptions('mean', { keepdims: true } as { keepDims?: boolean }, { keepDims: true }),
      isValueError(/"keepdims" \(did you mean "keepDims"\?\)/),
    );
  });

  it('rejects a non-object where the options go (a number passed positionally), listing the options', () => {
    for (const bad of [1, null, 'axis', [0]]) {
      assert.throws(() => checkOptions('sum', bad as unknown as { axis?: number }, { axis: true }), isValueError(/^sum: options must be an object \{ axis\? \}/));
    }
  });

  it('checkPositiveInt accepts 1, 2, ... and rejects 0, negatives, fractions and NaN', () => {
    checkPositiveInt('Linear', 'out', 1);
    checkPositiveInt('Linear', 'out', 4096);
    for (const v of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => checkPositiveInt('Linear', 'out', v), isValueError(/^Linear: out must be an integer >= 1/));
    }
  });
});

describe('public functions reject misspelt options', () => {
  const x = ones([2, 3]);
  const img = ones([1, 1, 4, 4]);
  const w = ones([2, 1, 3, 3]);
  const wt = ones([1, 2, 3, 3]);
  const bad = { keepdims: true } as object;
  const cases: readonly (readonly [string, () => unknown])[] = [
    ['sum', () => ops.sum(x, bad)],
    ['mean', () => ops.mean(x, bad)],
    ['max', () => ops.max(x, bad)],
    ['variance', () => ops.variance(x, bad)],
    ['logSumExp', () => ops.logSumExp(x, bad)],
    ['matmul', () => ops.matmul(x, ones([3, 2]), bad)],
    ['conv2d', () => ops.conv2d(img, w, undefined, bad)],
    ['convTranspose2d', () => ops.convTranspose2d(img, wt, undefined, bad)],
    ['Linear', () => nn.Linear(3, bad)],
    ['Conv2d', () => nn.Conv2d(3, { kernel: 3, ...bad })],
    ['ConvTranspose2d', () => nn.ConvTranspose2d(3, { kernel: 3, ...bad })],
    ['BatchNorm', () => nn.BatchNorm(bad)],
    ['InstanceNorm', () => nn.InstanceNorm(bad)],
    ['LayerNorm', () => nn.LayerNorm(bad)],
    ['spectralNorm', () => nn.spectralNorm(nn.Linear(3), bad)],
  ];
  for (const [name, call] of cases) {
    it(`${name} names the unknown key and the valid ones`, () => {
      assert.throws(call, isValueError(new RegExp(`^${name}: unknown option "keepdims".*; valid options: `)));
    });
  }

  it('init rejects an unknown option before loading anything', async () => {
    await assert.rejects(init({ thread: 2 } as object), isValueError(/^init: unknown option "thread"; valid options: backend, threads$/));
  });

  it('the right spelling still works: mean keepDims keeps the axis', () => {
    assert.deepEqual(ops.mean(x, { axis: 1, keepDims: true }).shape, [2, 1]);
  });

  it('conv2d with the options in the bias slot names the mistake', () => {
    assert.throws(() => ops.conv2d(img, w, { stride: 2 } as never), isValueError(/conv2d: bias must be a Tensor or undefined.*options are the fourth argument/));
  });

  for (const [name, make] of [
    ['Linear', () => nn.Linear(0)],
    ['Conv2d', () => nn.Conv2d(0, { kernel: 3 })],
    ['ConvTranspose2d', () => nn.ConvTranspose2d(-2, { kernel: 3 })],
  ] as const) {
    it(`${name} with no output features is a ValueError`, () => {
      assert.throws(make, isValueError(new RegExp(`^${name}: out must be an integer >= 1`)));
    });
  }
});
