import { ShapeError, ValueError } from '../core/errors.js';
import { split, type Key } from '../core/random.js';
import { isTensor, type Tensor } from '../core/tensor.js';

/**
 * Per-call context: training mode, a key for layers that draw random numbers (dropout,
 * DiffAugment), and the class labels of the batch for conditional layers: `labels` `[N]`,
 * integer class ids held as a float tensor (so a conditional network is still a `Layer`).
 */
export type Ctx = Readonly<{ train: boolean; key?: Key; labels?: Tensor }>;

/**
 * The labels `[N]` of a conditional layer's call, checked against the batch size n; a
 * ValueError naming the layer when the context has none, a ShapeError when they do not fit.
 */
export function requireLabels(layer: string, ctx: Ctx, n: number): Tensor {
  const labels = ctx.labels;
  if (labels === undefined) throw new ValueError(`${layer} is class-conditional: pass the batch's class ids as ctx.labels ([N])`);
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new ShapeError(`${layer} needs ctx.labels [${n}] (one class id per sample), got [${labels.shape.join(', ')}]`, { labels: labels.shape });
  }
  return labels;
}

/** The context handed to the i-th of `count` children: the same labels and mode, the i-th split of the key. */
export function childContexts(ctx: Ctx, count: number): Ctx[] {
  const keys = ctx.key !== undefined ? split(ctx.key, Math.max(count, 1)) : undefined;
  return Array.from({ length: count }, (_, i) => {
    const { key: _k, ...rest } = ctx;
    return keys ? { ...rest, key: keys[i]! } : rest;
  });
}

/** The state of a layer that has none. */
export type NoState = Readonly<Record<string, never>>;
export const NO_STATE: NoState = Object.freeze({});

export type Init<P, S> = Readonly<{ params: P; state: S; outputShape: readonly number[] }>;

/**
 * A layer is plain data plus two pure functions (Equinox style), params and state kept apart:
 *
 * - `init(key, inputShape)` → `{ params, state, outputShape }`. Shapes are *per sample*
 *   (no batch axis): a conv layer on MNIST has inputShape `[1, 28, 28]`.
 * - `apply(params, state, x, ctx)` → `[y, state']` for a batch x `[N, ...inputShape]`.
 *   Batch norm returns new running statistics in training mode; most layers return state as is.
 * - `refresh(params, state)` → state', optional: the once-per-optimisation-step state update.
 *   Spectral norm's power iteration lives here, not in `apply`, so applying a discriminator to
 *   real, fake and interpolated batches in one step costs exactly one power iteration —
 *   the step function calls `refresh` once, then `apply` as often as it likes.
 */
export interface Layer<P, S> {
  readonly name: string;
  init(key: Key, inputShape: readonly number[]): Init<P, S>;
  apply(params: P, state: S, x: Tensor, ctx: Ctx): [Tensor, S];
  refresh?(params: P, state: S): S;
  /**
   * True when `apply` in training mode reads `ctx.key` (dropout, DiffAugment) or holds a layer
   * that does. Such a layer's trace depends on the key (a key is host data), so the training
   * driver runs its step op by op instead of under `jit`. Containers set it from their children.
   */
  readonly draws?: boolean;
}

/** Whether any of `layers` draws from `ctx.key` in training (see `Layer.draws`). */
export const anyDraws = (layers: readonly (AnyLayer | undefined)[]): boolean => layers.some((l) => l?.draws === true);

/** Any layer (params and state types erased), e.g. for containers. */
export type AnyLayer = Layer<unknown, unknown>;

/** Runs a layer's `refresh` if it has one (else returns the state unchanged). */
export function refreshState<P, S>(layer: Layer<P, S>, params: P, state: S): S {
  return layer.refresh ? layer.refresh(params, state) : state;
}

/**
 * Throws a ShapeError naming the layer unless the batch x is `[N, ...expected]` (null: any size).
 * Also used by `init` on the per-sample input shape (pass `batched: false`).
 */
export function expectInput(layer: string, x: Tensor | readonly number[], expected: readonly (number | null)[], batched = true): void {
  const shape = Array.isArray(x) ? (x as readonly number[]) : (x as Tensor).shape;
  const sample = batched ? shape.slice(1) : shape;
  const ok = sample.length === expected.length && (!batched || shape.length > 0) && expected.every((d, i) => d === null || d === sample[i]);
  if (!ok) {
    const dims = expected.map((d) => (d === null ? '*' : String(d)));
    const want = batched ? `[N, ${dims.join(', ')}]` : `[${dims.join(', ')}] per sample`;
    throw new ShapeError(`${layer} expects input ${want}, got [${shape.join(', ')}]`, { actual: shape });
  }
}

/**
 * Throws a ValueError naming the layer unless `value` (its `params` or `state`) is an object
 * with a Tensor under each of `keys`: params of another layer, or an `undefined` state, would
 * otherwise fail deep inside `apply` with a TypeError.
 */
export function expectTensors(layer: string, what: 'params' | 'state', value: unknown, keys: readonly string[]): void {
  const want = keys.length > 0 ? `an object holding ${keys.join(', ')} (Tensors)` : 'an object';
  if (typeof value !== 'object' || value === null) {
    throw new ValueError(`${layer}.apply: ${what} must be ${want}, got ${String(value)} (pass what ${layer}.init returned)`);
  }
  const missing = keys.filter((k) => !isTensor((value as Record<string, unknown>)[k]));
  if (missing.length > 0) {
    const held = Object.keys(value);
    throw new ValueError(`${layer}.apply: ${what} must be ${want}; ${missing.join(', ')} missing or not a Tensor (it holds: ${held.length > 0 ? held.join(', ') : 'nothing'})`);
  }
}

/**
 * Layers applied in order. Params and state are arrays with one entry per layer; `refresh`
 * refreshes every child that has a refresh. Each child gets the labels and mode of the call
 * and its own split of the key.
 */
export function sequential(...layers: AnyLayer[]): Layer<readonly unknown[], readonly unknown[]> {
  const refreshes = layers.some((l) => l.refresh !== undefined);
  const seq: Layer<readonly unknown[], readonly unknown[]> = {
    name: `Sequential(${layers.map((l) => l.name).join(', ')})`,
    ...(anyDraws(layers) ? { draws: true } : {}),
    init(key, inputShape) {
      const keys = split(key, Math.max(layers.length, 1));
      let shape = inputShape;
      const params: unknown[] = [];
      const state: unknown[] = [];
      layers.forEach((l, i) => {
        const r = l.init(keys[i]!, shape);
        params.push(r.params);
        state.push(r.state);
        shape = r.outputShape;
      });
      return { params, state, outputShape: shape };
    },
    apply(params, state, x, ctx) {
      for (const [what, v] of [['params', params], ['state', state]] as const) {
        if (!Array.isArray(v) || v.length !== layers.length) {
          throw new ValueError(`${seq.name}.apply: ${what} must be an array with one entry per layer (${layers.length}), got ${Array.isArray(v) ? `${v.length} entries` : String(v)} (pass what init returned)`);
        }
      }
      const ctxs = childContexts(ctx, layers.length);
      const next: unknown[] = [];
      let y = x;
      layers.forEach((l, i) => {
        const [out, s] = l.apply(params[i], state[i], y, ctxs[i]!);
        next.push(s);
        y = out;
      });
      return [y, next];
    },
  };
  if (!refreshes) return seq;
  return { ...seq, refresh: (params, state) => layers.map((l, i) => refreshState(l, params[i], state[i])) };
}
