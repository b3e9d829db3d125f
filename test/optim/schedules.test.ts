import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValueError } from '../../src/core/errors.js';
import { scalar } from '../../src/core/tensor.js';
import {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecay,
  joinSchedules,
  linearSchedule,
  piecewiseConstantSchedule,
  polynomialSchedule,
  warmupCosineDecaySchedule,
  type Schedule,
} from '../../src/optim/index.js';
import { assertClose } from '../helpers/assert_close.js';
import { callWithoutData } from '../helpers/no_data_interpreter.js';

/** The schedule's values at the given steps, as numbers. */
const at = (s: Schedule, steps: readonly number[]): number[] =>
  steps.map((t) => {
    const v = s(scalar(t));
    return typeof v === 'number' ? v : v.data[0]!;
  });

describe('schedules', () => {
  it('constantSchedule is its value at every step', () => {
    assert.deepEqual(at(constantSchedule(3), [0, 1, 1000]), [3, 3, 3]);
  });
  it('polynomialSchedule holds init for transitionBegin steps, decays as (1 − s/T)ᵖ, then holds end', () => {
    // init 1, end 0.1, p = 2, T = 4, b = 2: η(3) = 0.9·(3/4)² + 0.1 = 0.60625.
    const s = polynomialSchedule({ init: 1, end: 0.1, power: 2, transitionSteps: 4, transitionBegin: 2 });
    assertClose(at(s, [0, 2, 3, 4, 6, 10]), [1, 1, 0.60625, 0.325, 0.1, 0.1]);
  });
  it('linearSchedule interpolates init → end over T steps', () => {
    assertClose(at(linearSchedule({ init: 0, end: 1, transitionSteps: 4 }), [0, 1, 3, 4, 5]), [0, 0.25, 0.75, 1, 1]);
  });
  it('exponentialDecay is init·r^((t − b)/T) after b, continuous between multiples of T', () => {
    const s = exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 2, transitionBegin: 1 });
    assertClose(at(s, [0, 1, 2, 3, 5]), [1, 1, Math.SQRT1_2, 0.5, 0.25]);
  });
  it('exponentialDecay never passes endValue: a floor when decaying, a ceiling when growing', () => {
    assertClose(at(exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 1, endValue: 0.3 }), [1, 2, 10]), [0.5, 0.3, 0.3]);
    assertClose(at(exponentialDecay({ init: 1, decayRate: 2, transitionSteps: 1, endValue: 3 }), [1, 2, 10]), [2, 3, 3]);
  });
  it('cosineDecaySchedule is init·((1 − α)·½(1 + cos(π·min(t, D)/D)) + α) at every step', () => {
    const s = cosineDecaySchedule({ init: 2, decaySteps: 10, alpha: 0.1 });
    const steps = Array.from({ length: 13 }, (_, t) => t);
    const closed = steps.map((t) => 2 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 10)) / 10)) + 0.1));
    assertClose(at(s, steps), closed);
    assertClose(at(s, [0, 5, 10, 20]), [2, 1.1, 0.2, 0.2]);
  });
  it('cosineDecaySchedule raises the cosine factor to its exponent', () => {
    // c(5) = ½, so η = 2·(0.9·¼ + 0.1) = 0.65.
    assertClose(at(cosineDecaySchedule({ init: 2, decaySteps: 10, alpha: 0.1, exponent: 2 }), [5]), [0.65]);
  });
  it('warmupCosineDecaySchedule warms up linearly to peak, then cosine-decays to end at decaySteps', () => {
    // W = 2, D = 6: η(4) = (1 − 0.2)·½(1 + cos(π·2/4)) + 0.2 = 0.6.
    const s = warmupCosineDecaySchedule({ init: 0, peak: 1, warmupSteps: 2, decaySteps: 6, end: 0.2 });
    assertClose(at(s, [0, 1, 2, 3, 4, 6, 8]), [0, 0.5, 1, 0.2 + 0.8 * 0.5 * (1 + Math.SQRT1_2), 0.6, 0.2, 0.2]);
  });
  it('joinSchedules switches at each boundary and restarts the next schedule’s count at 0', () => {
    const s = joinSchedules({
      schedules: [constantSchedule(1), linearSchedule({ init: 2, end: 0, transitionSteps: 2 }), constantSchedule(7)],
      boundaries: [3, 6],
    });
    assertClose(at(s, [0, 2, 3, 4, 5, 6, 9]), [1, 1, 2, 1, 0, 7, 7]);
  });
  it('piecewiseConstantSchedule multiplies by each scale from its boundary on', () => {
    const s = piecewiseConstantSchedule({ init: 1, boundaries: [2, 5], scales: [0.1, 0.5] });
    assertClose(at(s, [0, 1, 2, 4, 5, 100]), [1, 1, 0.1, 0.1, 0.05, 0.05]);
  });
  it('every schedule runs under a tracer whose .data cannot be read', () => {
    const schedules: Schedule[] = [
      polynomialSchedule({ init: 1, end: 0.1, power: 2, transitionSteps: 4 }),
      exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 2, endValue: 0.1 }),
      warmupCosineDecaySchedule({ init: 0, peak: 1, warmupSteps: 2, decaySteps: 6 }),
      piecewiseConstantSchedule({ init: 1, boundaries: [2], scales: [0.1] }),
    ];
    for (const s of schedules) assert.deepEqual(callWithoutData((c) => s(c), scalar(3)), s(scalar(3)));
  });
  it('rejects non-positive step counts, bad boundaries and mismatched lists', () => {
    assert.throws(() => linearSchedule({ init: 1, end: 0, transitionSteps: 0 }), ValueError);
    assert.throws(() => cosineDecaySchedule({ init: 1, decaySteps: -1 }), ValueError);
    assert.throws(() => joinSchedules({ schedules: [constantSchedule(1), constantSchedule(2)], boundaries: [] }), /one boundary fewer/);
    assert.throws(() => joinSchedules({ schedules: [constantSchedule(1), constantSchedule(2), constantSchedule(3)], boundaries: [4, 2] }), /increasing/);
    assert.throws(() => piecewiseConstantSchedule({ init: 1, boundaries: [1], scales: [] }), /one scale per boundary/);
    assert.throws(() => warmupCosineDecaySchedule({ init: 0, peak: 1, warmupSteps: 5, decaySteps: 5 }), /must exceed/);
  });
});
