import { ShapeError, ValueError, formatShape } from '../core/errors.js';
import { treeFlatten, treeMap, treeZipWith, type Leaf } from '../core/pytree.js';
import { shapesEqual, zeros, type Tensor } from '../core/tensor.js';
import { add, div, greater, mul, neg, sqrt, square, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/**
 * Optax-style gradient transformations. A transformation is a pair of pure functions:
 * `init(params)` → state, and `update(updates, state, params?)` → [updates', state'].
 * Optimisers are chains of small transformations; their state is a pytree of tensors and
 * numbers in plain objects and arrays, so it serialises like any other.
 * Updates are *added* to params (`applyUpdates`), so a learning-rate scale is negative.
 *
 * Everything in `init` and `update` is built from ops (no reading `.data`), so an optimiser step
 * can run under a tracer (`jit`) and inside a traced training step. Step counts are 0-d float32
 * tensors, exact up to 2²⁴ steps.
 *
 * `P` is the params type (a pytree); it defaults to `unknown`, so `adam(1e-3)` works for any
 * params and `adam<GenParams>(1e-3)` types its state as `AdamState<GenParams>`. Number leaves of
 * the params are constants (autodiff gives them gradient 0): their updates and state stay 0.
 */
export interface GradientTransformation<S, P = unknown> {
  init(params: P): S;
  update<U extends P>(updates: U, state: S, params?: U): [U, S];
  /**
   * Optional: `update` and `applyUpdates` in one, → [params', state'] (a fused kernel, e.g.
   * `adam`'s). Gives what `applyUpdates(params, update(grads, state, params)[0])` gives. Call
   * it through `optimizerStep`, which falls back to update + applyUpdates.
   */
  step?<U extends P>(grads: U, state: S, params: U): [U, S];
}

/**
 * One optimiser step: params' = params + updates, through the transformation's fused `step`
 * when it has one, else `update` then `applyUpdates`. Returns [params', state'].
 */
export function optimizerStep<S, P, U extends P>(tx: GradientTransformation<S, P>, args: Readonly<{ grads: U; state: S; params: U }>): [U, S] {
  const { grads, state, params } = args;
  if (tx.step !== undefined) return tx.step(grads, state, params);
  const [updates, next] = tx.update(grads, state, params);
  return [applyUpdates(params, updates), next];
}

/** The state of a transformation that keeps none (`clipByGlobalNorm`, `addDecayedWeights`). */
export type EmptyState = null;

/** The state of a transformation that counts steps: `count` is a 0-d tensor, 0 before the first update. */
export type CountState = Readonly<{ count: Tensor }>;

/** A 0-d zero: the step count before the first update. */
export const zeroCount = (): Tensor => zeros([]);

/**
 * `f` applied to corresponding tensor leaves of trees of the same structure (`treeZipWith`
 * restricted to tensors), so an update reads like its formula:
 *
 *     leafwise((g, t) => add(g, mul(t, decay)), grads, state.trace)
 *
 * The result has the structure of `first`. Where `first` has a number leaf (a constant of the
 * params) the result is 0. Throws a ShapeError when the structures differ, a leaf is a tensor in
 * one tree and a number in another, or two tensor leaves differ in shape (ops would broadcast
 * them silently).
 */
export function leafwise<T, R extends readonly unknown[]>(
  f: (first: Tensor, ...rest: { [K in keyof R]: Tensor }) => Tensor,
  first: T,
  ...rest: R
): T {
  let index = 0;
  const g = (x: Leaf, ...ys: Leaf[]): Leaf => {
    const j = index++;
    const kind = (l: Leaf): string => (typeof l === 'number' ? 'a number' : `a tensor ${formatShape(l.shape)}`);
    ys.forEach((y, i) => {
      const same = typeof x === 'number' ? typeof y === 'number' : typeof y !== 'number' && shapesEqual(x.shape, y.shape);
      if (!same) throw new ShapeError(`optimizer trees differ at leaf ${j}: ${kind(x)} in tree 0 but ${kind(y)} in tree ${i + 1}`);
    });
    return typeof x === 'number' ? 0 : f(x, ...(ys as { [K in keyof R]: Tensor }));
  };
  return treeZipWith(g as (first: Leaf, ...rest: { [K in keyof R]: Leaf }) => Leaf, first, ...rest);
}

/** The transformation that changes nothing (Optax's identity): a placeholder in a chain. */
export function identity<P = unknown>(): GradientTransformation<EmptyState, P> {
  return { init: () => null, update: (updates, state) => [updates, state] };
}

/** Zeros shaped like each tensor leaf (number leaves become 0). */
export const zerosLike = <T>(tree: T): T => treeMap((l) => (typeof l === 'number' ? 0 : zeros(l.shape)), tree);

/**
 * p ← p + u, leafwise; number leaves of the params (constants) are kept as they are. Throws a
 * ShapeError when the structures differ or an update is not a tensor of its param's shape.
 */
export function applyUpdates<P>(params: P, updates: unknown): P {
  return treeZipWith(
    (p, u) => {
      if (typeof p === 'number') return p;
      if (typeof u === 'number' || !shapesEqual(p.shape, u.shape)) {
        throw new ShapeError(`applyUpdates: a param ${formatShape(p.shape)} got an update ${typeof u === 'number' ? 'that is a number' : formatShape(u.shape)}`);
      }
      return add(p, u);
    },
    params,
    updates,
  );
}

type StatesOf<T extends readonly unknown[]> = { [K in keyof T]: T[K] extends GradientTransformation<infer S, infer _P> ? S : never };

/**
 * Applies transformations in sequence, each to the updates the previous one returned:
 * `chain(a, b).update(u) = b.update(a.update(u))`. The state is the tuple of their states.
 * When the last transformation has a fused `step`, so does the chain: the others' updates,
 * then that step (e.g. `chain(clipByGlobalNorm(1), adam(lr))` keeps Adam's fused kernel).
 */
export function chain<P, T extends readonly GradientTransformation<unknown, P>[]>(...ts: T): GradientTransformation<StatesOf<T>, P> {
  const statesOf = (state: unknown): readonly unknown[] => {
    if (!Array.isArray(state) || state.length !== ts.length) {
      throw new ValueError(`chain of ${ts.length} transformations needs a state tuple of ${ts.length}, got ${Array.isArray(state) ? state.length : typeof state}`);
    }
    return state;
  };
  const last = ts[ts.length - 1];
  const tx: GradientTransformation<StatesOf<T>, P> = {
    init: (params) => ts.map((t) => t.init(params)) as unknown as StatesOf<T>,
    update(updates, state, params) {
      const states = statesOf(state);
      let u = updates;
      const next = ts.map((t, i) => {
        const [u2, s] = t.update(u, states[i], params);
        u = u2;
        return s;
      });
      return [u, next as unknown as StatesOf<T>];
    },
  };
  if (last?.step === undefined) return tx;
  const lastStep = last.step.bind(last);
  return {
    ...tx,
    step(grads, state, params) {
      const states = statesOf(state);
      let u = grads;
      const next = ts.slice(0, -1).map((t, i) => {
        const [u2, s] = t.update(u, states[i], params);
        u = u2;
        return s;
      });
      const [p, s] = lastStep(u, states[ts.length - 1], params);
      return [p, [...next, s] as unknown as StatesOf<T>];
    },
  };
}

/**
 * A schedule: the value (e.g. a learning rate) at a step, as a function of the absolute 0-based
 * step count (a 0-d tensor), built from ops so that it can be traced. See `schedules.ts`.
 */
export type Schedule = (count: Tensor) => Tensor | number;
/** A learning rate: a constant or a schedule of the step count. */
export type LearningRate = number | Schedule;

/** u ← −lr(t)·u with t the 0-based count of previous updates; lr may be a constant or a schedule. */
export function scaleByLearningRate<P = unknown>(lr: LearningRate): GradientTransformation<CountState, P> {
  if (typeof lr === 'number' && !(lr >= 0)) throw new ValueError(`learning rate must be >= 0, got ${lr}`);
  return {
    init: () => ({ count: zeroCount() }),
    update(updates, state) {
      const r = typeof lr === 'number' ? lr : lr(state.count);
      const rate = typeof r === 'number' ? -r : neg(r);
      return [leafwise((u) => mul(u, rate), updates), { count: add(state.count, 1) }];
    },
  };
}

/** u ← u + λ·params (decoupled weight decay when placed before the learning-rate scale: AdamW). */
export function addDecayedWeights<P = unknown>(weightDecay: number): GradientTransformation<EmptyState, P> {
  return {
    init: () => null,
    update(updates, state, params) {
      if (params === undefined) throw new ValueError('addDecayedWeights needs the params in update()');
      return [leafwise((u, p) => add(u, mul(p, weightDecay)), updates, params), state];
    },
  };
}

/** ‖tree‖ = √(Σ over all tensor leaves of Σ x²) as a 0-d tensor: the global norm of a gradient pytree. */
export function globalNorm(tree: unknown): Tensor {
  let ss: Tensor = zeros([]);
  for (const l of treeFlatten(tree).leaves) if (typeof l !== 'number') ss = add(ss, sum(square(l)));
  return sqrt(ss);
}

/**
 * Clips updates by their global L2 norm: u ← u · (maxNorm/‖u‖ if ‖u‖ > maxNorm else 1), with
 * ‖u‖ = `globalNorm(u)` over all leaves (PyTorch's clip_grad_norm_ without its 1e-6, Optax's
 * clip_by_global_norm). The choice is a `where` on the norm, not a host branch.
 */
export function clipByGlobalNorm<P = unknown>(maxNorm: number): GradientTransformation<EmptyState, P> {
  if (!(maxNorm > 0)) throw new ValueError(`clipByGlobalNorm needs maxNorm > 0, got ${maxNorm}`);
  return {
    init: () => null,
    update(updates, state) {
      const norm = globalNorm(updates);
      const s = where(greater(norm, maxNorm), div(maxNorm, norm), 1);
      return [leafwise((u) => mul(u, s), updates), state];
    },
  };
}
