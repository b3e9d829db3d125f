import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as E from 'fp-ts/lib/Either.js';
import { scalar } from '../../src/core/tensor.js';
import { parseScheduleSpec, SCHEDULE_NAMES } from '../../src/optim/schedule_spec.js';
import type { Schedule } from '../../src/optim/transform.js';

/** The schedule a spec builds, or a failed assertion with its problems. */
function build(spec: unknown): Schedule {
  const r = parseScheduleSpec(spec, 'lr');
  assert.ok(E.isRight(r), E.isLeft(r) ? r.left.join('; ') : '');
  return r.right;
}

const at = (s: Schedule, steps: readonly number[]): number[] =>
  steps.map((t) => {
    const v = s(scalar(t));
    return typeof v === 'number' ? v : v.data[0]!;
  });

/** |a − b| ≤ 1e-6·(|b| + 1) for each value (float32 schedules) against its float64 hand computation. */
function near(actual: readonly number[], expected: readonly number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= 1e-6 * (Math.abs(expected[i]!) + 1), `value ${i}: ${a} vs ${expected[i]}`));
}

const problems = (spec: unknown): string[] => {
  const r = parseScheduleSpec(spec, 'optimizers.g.lr');
  assert.ok(E.isLeft(r), 'expected the spec to be refused');
  return r.left;
};

describe('parseScheduleSpec', () => {
  it('builds each named schedule with the formula of its schedules.ts function (values against float64 hand computations)', () => {
    near(at(build({ schedule: 'constant', value: 0.25 }), [0, 9]), [0.25, 0.25]);
    near(at(build({ schedule: 'linear', init: 1, end: 0.2, transitionSteps: 4, transitionBegin: 2 }), [0, 2, 3, 6, 9]), [1, 1, 0.8, 0.2, 0.2]);
    near(at(build({ schedule: 'polynomial', init: 1, end: 0, power: 2, transitionSteps: 4 }), [0, 1, 2, 4]), [1, 0.5625, 0.25, 0]);
    near(at(build({ schedule: 'exponential', init: 2, decayRate: 0.5, transitionSteps: 2, endValue: 0.6 }), [0, 1, 2, 4]), [2, 2 * Math.SQRT1_2, 1, 0.6]);
    near(at(build({ schedule: 'cosine', init: 1, decaySteps: 4, alpha: 0.1 }), [0, 2, 4, 8]), [1, 0.55, 0.1, 0.1]);
    near(at(build({ schedule: 'warmup_cosine', init: 0, peak: 1, warmupSteps: 2, decaySteps: 6 }), [0, 1, 2, 4, 6]), [0, 0.5, 1, 0.5, 0]);
    near(at(build({ schedule: 'piecewise_constant', init: 1, boundaries: [2, 5], scales: [0.5, 0.1] }), [0, 2, 4, 5, 9]), [1, 0.5, 0.5, 0.05, 0.05]);
  });

  it('names every schedule it knows in the error for an unknown one', () => {
    const [p] = problems({ schedule: 'cosin', init: 1 });
    assert.equal(p, `optimizers.g.lr.schedule: unknown schedule "cosin"; expected one of: ${SCHEDULE_NAMES.join(', ')}`);
    assert.deepEqual(SCHEDULE_NAMES, ['constant', 'linear', 'polynomial', 'exponential', 'cosine', 'warmup_cosine', 'piecewise_constant']);
  });

  it('lists every problem of one spec at once: negative and fractional steps, a negative value, an unknown field and a missing one', () => {
    const p = problems({ schedule: 'exponential', init: -1, transitionSteps: -3, transitionBegin: 0.5, warmup: 2 });
    assert.deepEqual(p, [
      'optimizers.g.lr.warmup: unknown field of the exponential schedule; expected: init, decayRate, transitionSteps, transitionBegin, endValue',
      'optimizers.g.lr.init: expected a finite number >= 0, got -1',
      'optimizers.g.lr.decayRate: missing (the exponential schedule needs init, decayRate, transitionSteps)',
      'optimizers.g.lr.transitionSteps: expected an integer >= 1 (steps), got -3',
      'optimizers.g.lr.transitionBegin: expected an integer >= 0 (steps), got 0.5',
    ]);
  });

  it('refuses a warm-up not shorter than the decay, unordered boundaries, and boundaries without one scale each', () => {
    assert.match(problems({ schedule: 'warmup_cosine', init: 0, peak: 1, warmupSteps: 5, decaySteps: 5 })[0]!, /decaySteps: must exceed warmupSteps \(5\), got 5/);
    assert.match(problems({ schedule: 'piecewise_constant', init: 1, boundaries: [5, 2], scales: [1, 1] })[0]!, /boundaries: expected increasing integers >= 0/);
    assert.match(problems({ schedule: 'piecewise_constant', init: 1, boundaries: [2, 5], scales: [1] })[0]!, /scales: one scale per boundary, got 1 scales for 2 boundaries/);
  });

  it('refuses what is not a spec object, and the keys that would reach Object.prototype', () => {
    assert.match(problems([1, 2])[0]!, /expected a number or a schedule \{ schedule: constant \| linear/);
    assert.match(problems(JSON.parse('{ "schedule": "constructor" }'))[0]!, /unknown schedule "constructor"/);
    assert.match(problems(JSON.parse('{ "schedule": "constant", "value": 1, "__proto__": 1 }'))[0]!, /__proto__: unknown field/);
  });
});
