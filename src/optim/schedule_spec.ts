import * as E from 'fp-ts/lib/Either.js';
import {
  constantSchedule,
  cosineDecaySchedule,
  exponentialDecay,
  linearSchedule,
  piecewiseConstantSchedule,
  polynomialSchedule,
  warmupCosineDecaySchedule,
} from './schedules.js';
import type { Schedule } from './transform.js';

/**
 * A schedule as JSON data (`{ "schedule": "linear", "init": 2e-4, "end": 0, "transitionSteps":
 * 1000 }`), so a run config can give a learning rate that changes with the step and still be
 * validated, written to config.json and compared on resume. Each name builds the `schedules.ts`
 * function of the same meaning, with the same fields (see its formula there); t is the count
 * the caller passes (an optimiser's own update count).
 */
export type ScheduleSpec =
  | Readonly<{ schedule: 'constant'; value: number }>
  | Readonly<{ schedule: 'linear'; init: number; end: number; transitionSteps: number; transitionBegin?: number }>
  | Readonly<{ schedule: 'polynomial'; init: number; end: number; power: number; transitionSteps: number; transitionBegin?: number }>
  | Readonly<{ schedule: 'exponential'; init: number; decayRate: number; transitionSteps: number; transitionBegin?: number; endValue?: number }>
  | Readonly<{ schedule: 'cosine'; init: number; decaySteps: number; alpha?: number; exponent?: number }>
  | Readonly<{ schedule: 'warmup_cosine'; init: number; peak: number; warmupSteps: number; decaySteps: number; end?: number; exponent?: number }>
  | Readonly<{ schedule: 'piecewise_constant'; init: number; boundaries: readonly number[]; scales: readonly number[] }>;

export type ScheduleName = ScheduleSpec['schedule'];

/** What a field must be: a value ≥ 0, a count ≥ 1 (`steps`), ≥ 0 (`begin`), a number > 0, a fraction in [0, 1], or a list. */
type FieldKind = 'value' | 'steps' | 'begin' | 'positive' | 'fraction' | 'boundaries' | 'scales';
type FieldTable = Readonly<Record<string, Readonly<{ kind: FieldKind; optional?: true }>>>;

const req = (kind: FieldKind) => ({ kind }) as const;
const opt = (kind: FieldKind) => ({ kind, optional: true }) as const;

const FIELDS: { readonly [N in ScheduleName]: FieldTable } = {
  constant: { value: req('value') },
  linear: { init: req('value'), end: req('value'), transitionSteps: req('steps'), transitionBegin: opt('begin') },
  polynomial: { init: req('value'), end: req('value'), power: req('positive'), transitionSteps: req('steps'), transitionBegin: opt('begin') },
  exponential: { init: req('value'), decayRate: req('positive'), transitionSteps: req('steps'), transitionBegin: opt('begin'), endValue: opt('value') },
  cosine: { init: req('value'), decaySteps: req('steps'), alpha: opt('fraction'), exponent: opt('positive') },
  warmup_cosine: { init: req('value'), peak: req('value'), warmupSteps: req('begin'), decaySteps: req('steps'), end: opt('value'), exponent: opt('positive') },
  piecewise_constant: { init: req('value'), boundaries: req('boundaries'), scales: req('scales') },
};

export const SCHEDULE_NAMES = Object.keys(FIELDS) as readonly ScheduleName[];

const BUILD: { readonly [N in ScheduleName]: (s: Extract<ScheduleSpec, { schedule: N }>) => Schedule } = {
  constant: (s) => constantSchedule(s.value),
  linear: ({ schedule: _, ...o }) => linearSchedule(o),
  polynomial: ({ schedule: _, ...o }) => polynomialSchedule(o),
  exponential: ({ schedule: _, ...o }) => exponentialDecay(o),
  cosine: ({ schedule: _, ...o }) => cosineDecaySchedule(o),
  warmup_cosine: ({ schedule: _, ...o }) => warmupCosineDecaySchedule(o),
  piecewise_constant: ({ schedule: _, ...o }) => piecewiseConstantSchedule(o),
};

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isIntAtLeast = (x: unknown, min: number): x is number => Number.isSafeInteger(x) && (x as number) >= min;

/** The problem with one field's value, or undefined when it is what `kind` asks for. */
function fieldProblem(kind: FieldKind, v: unknown): string | undefined {
  switch (kind) {
    case 'value':
      return isFiniteNumber(v) && v >= 0 ? undefined : 'expected a finite number >= 0';
    case 'steps':
      return isIntAtLeast(v, 1) ? undefined : 'expected an integer >= 1 (steps)';
    case 'begin':
      return isIntAtLeast(v, 0) ? undefined : 'expected an integer >= 0 (steps)';
    case 'positive':
      return isFiniteNumber(v) && v > 0 ? undefined : 'expected a finite number > 0';
    case 'fraction':
      return isFiniteNumber(v) && v >= 0 && v <= 1 ? undefined : 'expected a number in [0, 1]';
    case 'boundaries':
      return Array.isArray(v) && v.every((b, i) => isIntAtLeast(b, 0) && (i === 0 || b > (v[i - 1] as number)))
        ? undefined
        : 'expected increasing integers >= 0 (steps)';
    case 'scales':
      return Array.isArray(v) && v.every((s) => isFiniteNumber(s) && s >= 0) ? undefined : 'expected a list of finite numbers >= 0';
  }
}

/**
 * Checks a schedule spec (JSON data) and builds its schedule. Left: every problem, each as
 * `where.field: ...` (an unknown schedule name, unknown, missing or bad fields such as negative
 * or fractional step counts, a warm-up not shorter than the decay, boundaries and scales of
 * different lengths).
 */
export function parseScheduleSpec(x: unknown, where: string): E.Either<string[], Schedule> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return E.left([`${where}: expected a number or a schedule { schedule: ${SCHEDULE_NAMES.join(' | ')}, ... }`]);
  const spec = x as Record<string, unknown>;
  const name = spec.schedule;
  if (typeof name !== 'string' || !Object.hasOwn(FIELDS, name)) {
    return E.left([`${where}.schedule: unknown schedule ${JSON.stringify(name)}; expected one of: ${SCHEDULE_NAMES.join(', ')}`]);
  }
  const fields = FIELDS[name as ScheduleName];
  const problems: string[] = [];
  for (const k of Object.keys(spec)) {
    if (k !== 'schedule' && !Object.hasOwn(fields, k)) problems.push(`${where}.${k}: unknown field of the ${name} schedule; expected: ${Object.keys(fields).join(', ')}`);
  }
  for (const [k, f] of Object.entries(fields)) {
    const v = spec[k];
    if (v === undefined) {
      if (f.optional !== true) problems.push(`${where}.${k}: missing (the ${name} schedule needs ${Object.keys(fields).filter((n) => fields[n]!.optional !== true).join(', ')})`);
      continue;
    }
    const p = fieldProblem(f.kind, v);
    if (p !== undefined) problems.push(`${where}.${k}: ${p}, got ${JSON.stringify(v)}`);
  }
  if (problems.length === 0 && name === 'warmup_cosine' && !((spec.decaySteps as number) > (spec.warmupSteps as number))) {
    problems.push(`${where}.decaySteps: must exceed warmupSteps (${String(spec.warmupSteps)}), got ${String(spec.decaySteps)}`);
  }
  if (problems.length === 0 && name === 'piecewise_constant' && (spec.boundaries as unknown[]).length !== (spec.scales as unknown[]).length) {
    problems.push(`${where}.scales: one scale per boundary, got ${(spec.scales as unknown[]).length} scales for ${(spec.boundaries as unknown[]).length} boundaries`);
  }
  if (problems.length > 0) return E.left(problems);
  return E.right(BUILD[name as ScheduleName](spec as never));
}
