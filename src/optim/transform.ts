import { ValueError } from '../core/errors.js';
import { treeFlatten, treeUnflatten, treeZip, type Leaf } from '../core/pytree.js';
import { tensor, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';

/**
 * Optax-style gradient transformations. A transformation is a pair of pure functions:
 * `init(params)` → state, and `update(updates, state, params)` → [updates', state'].
 * Optimisers are chains of small transformations; their state is a pytree like any other.
 * Updates are *added* to params (`applyUpdates`), so a learning-rate scale is negative.
 */
export interface GradientTransformation<S> {
  init(params: unknown): S;
  update<U>(updates: U, state: S, params?: U): [U, S];
}

/** Params + updates, leafwise (number leaves are left as they are). */
export function applyUpdates<P>(params: P, updates: unknown): P {
  const pairs = treeZip(params, updates);
  const { treedef } = treeFlatten(params);
  return treeUnflatten<P>(
    treedef,
    pairs.map(([p, u]) => (typeof p === 'number' || typeof u === 'number' ? p : zipData(p, [u], (pv, [uv]) => pv + uv!))),
  );
}

/** A new tensor with f applied elementwise to the data of `t` and `others` (same sizes). */
export function zipData(t: Tensor, others: readonly Tensor[], f: (x: number, ys: number[]) => number): Tensor {
  const a = concrete(t).data;
  const bs = others.map((o) => concrete(o).data);
  for (const b of bs) if (b.length !== a.length) throw new ValueError(`optimizer leaves differ in size (${a.length} vs ${b.length})`);
  const out = new Float32Array(a.length);
  const ys = new Array<number>(bs.length);
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < bs.length; j++) ys[j] = bs[j]![i]!;
    out[i] = f(a[i]!, ys);
  }
  return tensor(t.shape, out);
}

/**
 * Maps leafwise over trees of the same structure (the first is the template); number leaves of
 * the template become 0. Returns one tree per output of `f`.
 */
export function mapTrees<T>(template: T, others: readonly unknown[], f: (xs: Tensor[]) => Tensor): T {
  const t = treeFlatten(template);
  const os = others.map((o) => treeFlatten(o).leaves);
  for (const o of os) if (o.length !== t.leaves.length) throw new ValueError(`optimizer state does not match the params (${o.length} vs ${t.leaves.length} leaves)`);
  const out: Leaf[] = t.leaves.map((l, i) => (typeof l === 'number' ? 0 : f([l, ...os.map((o) => o[i] as Tensor)])));
  return treeUnflatten<T>(t.treedef, out);
}

/** Zeros shaped like each tensor leaf (number leaves become 0). */
export const zerosLike = <T>(tree: T): T => mapTrees(tree, [], ([l]) => tensor(l!.shape, new Float32Array(l!.data.length)));

type States<T extends readonly GradientTransformation<unknown>[]> = { [K in keyof T]: T[K] extends GradientTransformation<infer S> ? S : never };

/** Applies transformations in sequence; the state is the tuple of their states. */
export function chain<T extends readonly GradientTransformation<unknown>[]>(...ts: T): GradientTransformation<States<T>> {
  return {
    init: (params) => ts.map((t) => t.init(params)) as unknown as States<T>,
    update(updates, state, params) {
      let u = updates;
      const next = ts.map((t, i) => {
        const [u2, s] = t.update(u, (state as readonly unknown[])[i], params);
        u = u2;
        return s;
      });
      return [u, next as unknown as States<T>];
    },
  };
}

/** A learning rate: a constant or a schedule of the step count (0-based). */
export type Schedule = (step: number) => number;
export type LearningRate = number | Schedule;

export type CountState = Readonly<{ count: number }>;

/** u ← −lr(t)·u, counting steps for schedules. */
export function scaleByLearningRate(lr: LearningRate): GradientTransformation<CountState> {
  if (typeof lr === 'number' && !(lr >= 0)) throw new ValueError(`learning rate must be >= 0, got ${lr}`);
  return {
    init: () => ({ count: 0 }),
    update(updates, state) {
      const rate = typeof lr === 'number' ? lr : lr(state.count);
      return [mapTrees(updates, [], ([u]) => zipData(u!, [], (x) => -rate * x)), { count: state.count + 1 }];
    },
  };
}

/** u ← u + λ·params (decoupled weight decay when placed before the learning-rate scale: AdamW). */
export function addDecayedWeights(weightDecay: number): GradientTransformation<null> {
  return {
    init: () => null,
    update(updates, state, params) {
      if (params === undefined) throw new ValueError('addDecayedWeights needs the params in update()');
      return [mapTrees(updates, [params], ([u, p]) => zipData(u!, [p!], (x, [pv]) => x + weightDecay * pv!)), state];
    },
  };
}

/**
 * Clips updates by their global L2 norm: u ← u·min(1, maxNorm/‖u‖), ‖u‖ over all leaves.
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<null> {
  return {
    init: () => null,
    update(updates, state) {
      const norm = globalNorm(updates);
      const s = norm > maxNorm ? maxNorm / norm : 1;
      return [s === 1 ? updates : mapTrees(updates, [], ([u]) => zipData(u!, [], (x) => x * s)), state];
    },
  };
}

/** √(Σ over all tensor leaves of Σ x²): the global norm of a gradient pytree. */
export function globalNorm(tree: unknown): number {
  let ss = 0;
  for (const l of treeFlatten(tree).leaves) if (typeof l !== 'number') for (const v of concrete(l).data) ss += v * v;
  return Math.sqrt(ss);
}
