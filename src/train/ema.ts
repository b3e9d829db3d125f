import { treeZipWith } from '../core/pytree.js';
import type { Tensor } from '../core/tensor.js';
import { add, compare, mul, where } from '../ops/elementwise.js';

/** The EMA copy of G's params in the train state (layer state is not averaged: see `sampleGenerator`). */
export type EmaState = Readonly<{ params: unknown }>;

/**
 * ema' = decay·ema + (1 − decay)·params once the iteration count `step` ≥ start, else params
 * (the copy tracks G exactly until averaging begins). Leafwise, ops only.
 */
export function emaUpdate(ema: EmaState, params: unknown, opts: Readonly<{ decay: number; start: number; step: Tensor }>): EmaState {
  const on = compare(opts.step, opts.start, 'ge');
  const next = treeZipWith(
    (e, p) => (typeof e === 'number' || typeof p === 'number' ? p : where(on, add(mul(e, opts.decay), mul(p, 1 - opts.decay)), p)),
    ema.params,
    params,
  );
  return { params: next };
}
