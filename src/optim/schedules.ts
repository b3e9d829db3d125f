import { ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { add, clamp, div, less, maximum, minimum, mul, pow, sub, where } from '../ops/elementwise.js';
import type { Schedule } from './transform.js';

/**
 * Schedules (Optax's): the value at the absolute 0-based step count t, a 0-d tensor, computed
 * with ops so a schedule can be traced inside a training step. Pass one as a learning rate
 * (`adam(warmupCosineDecaySchedule({...}))`): `scaleByLearningRate` calls it with its own count,
 * the number of updates before this one. Each schedule's formula is in its doc comment.
 */

function checkSteps(what: string, steps: number): void {
  if (!(Number.isSafeInteger(steps) && steps > 0)) throw new ValueError(`${what} must be a positive integer, got ${steps}`);
}

function checkBegin(begin: number): void {
  if (!(Number.isSafeInteger(begin) && begin >= 0)) throw new ValueError(`transitionBegin must be a non-negative integer, got ${begin}`);
}

/** η(t) = value. */
export function constantSchedule(value: number): Schedule {
  return () => value;
}

export type PolynomialScheduleOptions = Readonly<{
  init: number;
  end: number;
  /** The exponent p (> 0). */
  power: number;
  /** Steps T from `init` to `end` (> 0). */
  transitionSteps: number;
  /** Steps b held at `init` before the transition starts (default 0). */
  transitionBegin?: number;
}>;

/**
 * η(t) = (init − end)·(1 − s/T)ᵖ + end with s = clamp(t − b, 0, T): `init` until step b, then
 * a polynomial decay to `end` at step b + T, `end` after.
 */
export function polynomialSchedule(o: PolynomialScheduleOptions): Schedule {
  const begin = o.transitionBegin ?? 0;
  checkSteps('transitionSteps', o.transitionSteps);
  checkBegin(begin);
  if (!(o.power > 0)) throw new ValueError(`polynomial schedule power must be > 0, got ${o.power}`);
  return (t) => {
    const frac = sub(1, div(clamp(sub(t, begin), 0, o.transitionSteps), o.transitionSteps));
    return add(mul(o.power === 1 ? frac : pow(frac, o.power), o.init - o.end), o.end);
  };
}

/** η(t) = init + (end − init)·s/T with s = clamp(t − b, 0, T): `polynomialSchedule` with p = 1. */
export function linearSchedule(o: Omit<PolynomialScheduleOptions, 'power'>): Schedule {
  return polynomialSchedule({ ...o, power: 1 });
}

export type ExponentialDecayOptions = Readonly<{
  init: number;
  /** The factor r applied every `transitionSteps` steps (> 0). */
  decayRate: number;
  /** Steps T per factor r (> 0). */
  transitionSteps: number;
  /** Steps b held at `init` before the decay starts (default 0). */
  transitionBegin?: number;
  /** A floor (r < 1) or ceiling (r > 1) the value never passes. */
  endValue?: number;
}>;

/**
 * η(t) = init·r^(max(t − b, 0)/T), continuous (no staircase), bounded by `endValue` when given:
 * max(η, end) for r < 1, min(η, end) for r > 1.
 */
export function exponentialDecay(o: ExponentialDecayOptions): Schedule {
  const begin = o.transitionBegin ?? 0;
  checkSteps('transitionSteps', o.transitionSteps);
  checkBegin(begin);
  if (!(o.decayRate > 0)) throw new ValueError(`exponential decay rate must be > 0, got ${o.decayRate}`);
  const end = o.endValue;
  return (t) => {
    const v = mul(pow(o.decayRate, div(maximum(sub(t, begin), 0), o.transitionSteps)), o.init);
    if (end === undefined) return v;
    return o.decayRate < 1 ? maximum(v, end) : minimum(v, end);
  };
}

/**
 * cos x for a 0-d x in [0, π], from ops only (there is no cos primitive): cos x = −sin y with
 * y = x − π/2 ∈ [−π/2, π/2], and sin y by its Taylor series to y¹¹ in Horner form (truncation
 * error below |y|¹³/13! < 6e-8, under float32 rounding).
 */
function cosHalfTurn(x: Tensor): Tensor {
  const y = sub(x, Math.PI / 2);
  const y2 = mul(y, y);
  const coeffs = [-1 / 39916800, 1 / 362880, -1 / 5040, 1 / 120, -1 / 6, 1];
  let p: Tensor | number = coeffs[0]!;
  for (const c of coeffs.slice(1)) p = add(mul(y2, p), c);
  return mul(mul(y, p), -1);
}

export type CosineDecayOptions = Readonly<{
  init: number;
  /** Steps D over which the value decays (> 0). */
  decaySteps: number;
  /** The final value as a fraction α of `init` (default 0). */
  alpha?: number;
  /** The exponent p of the cosine factor (default 1). */
  exponent?: number;
}>;

/**
 * Cosine decay (Loshchilov & Hutter's SGDR without restarts):
 * η(t) = init·((1 − α)·c(t)ᵖ + α) with c(t) = ½(1 + cos(π·min(t, D)/D)); init at 0, α·init from D on.
 */
export function cosineDecaySchedule(o: CosineDecayOptions): Schedule {
  checkSteps('decaySteps', o.decaySteps);
  const alpha = o.alpha ?? 0;
  const exponent = o.exponent ?? 1;
  if (!(exponent > 0)) throw new ValueError(`cosine decay exponent must be > 0, got ${exponent}`);
  return (t) => {
    const c = mul(add(cosHalfTurn(mul(minimum(t, o.decaySteps), Math.PI / o.decaySteps)), 1), 0.5);
    return mul(add(mul(exponent === 1 ? c : pow(c, exponent), 1 - alpha), alpha), o.init);
  };
}

export type JoinSchedulesOptions = Readonly<{
  schedules: readonly Schedule[];
  /** Increasing steps where the next schedule takes over; one fewer than the schedules. */
  boundaries: readonly number[];
}>;

/**
 * Schedules one after another: with boundaries b₁ < b₂ < …, η(t) = η₀(t) for t < b₁ and
 * η_i(t − b_i) for b_i ≤ t < b_{i+1}, so each schedule counts from 0 when it starts.
 */
export function joinSchedules(o: JoinSchedulesOptions): Schedule {
  const { schedules, boundaries } = o;
  if (schedules.length === 0 || boundaries.length !== schedules.length - 1) {
    throw new ValueError(`joinSchedules needs one boundary fewer than schedules, got ${schedules.length} schedules and ${boundaries.length} boundaries`);
  }
  boundaries.forEach((b, i) => {
    if (!(Number.isSafeInteger(b) && b >= 0 && (i === 0 || b > boundaries[i - 1]!))) {
      throw new ValueError(`joinSchedules boundaries must be increasing non-negative integers, got [${boundaries.join(', ')}]`);
    }
  });
  return (t) =>
    boundaries.reduce<Tensor | number>((out, b, i) => where(less(t, b), out, schedules[i + 1]!(sub(t, b))), schedules[0]!(t));
}

export type WarmupCosineDecayOptions = Readonly<{
  /** The value at step 0. */
  init: number;
  /** The value at the end of the warm-up. */
  peak: number;
  /** Steps W of linear warm-up from `init` to `peak` (≥ 0). */
  warmupSteps: number;
  /** Total steps D, warm-up included (> W). */
  decaySteps: number;
  /** The final value (default 0). */
  end?: number;
  /** The exponent of the cosine factor (default 1). */
  exponent?: number;
}>;

/**
 * Linear warm-up then cosine decay (Optax's warmup_cosine_decay_schedule):
 * η(t) = init + (peak − init)·t/W for t < W, then the cosine decay from `peak` to `end` over the
 * D − W remaining steps: peak·((1 − α)·½(1 + cos(π·min(t − W, D − W)/(D − W))) + α), α = end/peak.
 */
export function warmupCosineDecaySchedule(o: WarmupCosineDecayOptions): Schedule {
  if (!(Number.isSafeInteger(o.warmupSteps) && o.warmupSteps >= 0)) throw new ValueError(`warmupSteps must be a non-negative integer, got ${o.warmupSteps}`);
  if (!(o.decaySteps > o.warmupSteps)) throw new ValueError(`decaySteps (${o.decaySteps}) must exceed warmupSteps (${o.warmupSteps})`);
  const end = o.end ?? 0;
  const decay = cosineDecaySchedule({
    init: o.peak,
    decaySteps: o.decaySteps - o.warmupSteps,
    alpha: o.peak === 0 ? 0 : end / o.peak,
    exponent: o.exponent ?? 1,
  });
  if (o.warmupSteps === 0) return decay;
  const warmup = linearSchedule({ init: o.init, end: o.peak, transitionSteps: o.warmupSteps });
  return joinSchedules({ schedules: [warmup, decay], boundaries: [o.warmupSteps] });
}

export type PiecewiseConstantOptions = Readonly<{
  init: number;
  /** Increasing steps at which the value is multiplied by the matching scale. */
  boundaries: readonly number[];
  scales: readonly number[];
}>;

/** η(t) = init·Π_{i : t ≥ b_i} s_i: step decay, e.g. ×0.1 at steps 30k and 60k. */
export function piecewiseConstantSchedule(o: PiecewiseConstantOptions): Schedule {
  if (o.boundaries.length !== o.scales.length) {
    throw new ValueError(`piecewiseConstantSchedule needs one scale per boundary, got ${o.boundaries.length} boundaries and ${o.scales.length} scales`);
  }
  return (t) => o.boundaries.reduce<Tensor | number>((v, b, i) => where(less(t, b), v, mul(v, o.scales[i]!)), o.init);
}
