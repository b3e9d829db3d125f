import { scalar, tensor, zeros, type Tensor } from '../core/tensor.js';
import { compare, greater, minimum, mul, sub, add, where } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { sum } from '../ops/reduce.js';
import { concat, reshape, slice } from '../ops/shape.js';

/**
 * A replay buffer of past fakes, in the train state: `items` `[capacity, ...dataShape]` (fixed
 * shape, so a traced step need not retrace), `filled` (0-d, how many slots hold fakes, never
 * above capacity) and `next` (0-d, the slot the next write starts at; writes wrap around,
 * overwriting the oldest).
 */
export type ReplayState = Readonly<{ items: Tensor; filled: Tensor; next: Tensor }>;

export const initReplay = (capacity: number, dataShape: readonly number[]): ReplayState => ({
  items: zeros([capacity, ...dataShape]),
  filled: scalar(0),
  next: scalar(0),
});

const iota = (n: number): Tensor => tensor([n], Float32Array.from({ length: n }, (_, i) => i));

/**
 * How many of a fake batch of n the buffer replaces: round(fraction·n).
 */
export const replayCount = (fraction: number, n: number): number => Math.round(fraction * n);

/**
 * The fake batch D trains on: its first k = round(fraction·N) rows replaced by buffer items
 * picked with u `[k]` ~ U(0, 1) (item ⌊u·filled⌋, a uniform pick among the filled slots), the
 * rest fresh; while the buffer is empty, all fresh. `fresh` `[N, ...]` → `[N, ...]`, ops only
 * (the pick is a 0/1 matrix `[k, capacity]` times the flattened items).
 */
export function replayMix(buffer: ReplayState, fresh: Tensor, u: Tensor): Tensor {
  const k = u.shape[0]!;
  if (k === 0) return fresh;
  const [capacity, ...sample] = buffer.items.shape as [number, ...number[]];
  const pos = reshape(mul(u, buffer.filled), [k, 1]);
  const slots = reshape(iota(capacity), [1, capacity]);
  const pick = mul(compare(pos, slots, 'ge'), compare(pos, add(slots, 1), 'lt'));
  const width = sample.reduce((a, d) => a * d, 1);
  const picked = reshape(matmul(pick, reshape(buffer.items, [capacity, width])), [k, ...sample]);
  const head = where(greater(buffer.filled, 0), picked, slice(fresh, [0], [k]));
  return k === fresh.shape[0] ? head : concat([head, slice(fresh, [k])], 0);
}

/**
 * Writes the first m = min(N, capacity) fresh fakes into slots next, next + 1, … (mod capacity);
 * filled ← min(filled + m, capacity), next ← (next + m) mod capacity. Ops only.
 */
export function replayPush(buffer: ReplayState, fresh: Tensor): ReplayState {
  const [capacity, ...sample] = buffer.items.shape as [number, ...number[]];
  const m = Math.min(fresh.shape[0]!, capacity);
  const width = sample.reduce((a, d) => a * d, 1);
  const raw = add(buffer.next, iota(m));
  const pos = sub(raw, mul(compare(raw, capacity, 'ge'), capacity));
  const place = compare(reshape(pos, [m, 1]), reshape(iota(capacity), [1, capacity]), 'eq');
  const written = matmul(place, reshape(slice(fresh, [0], [m]), [m, width]), { transA: true });
  const hit = reshape(sum(place, { axis: 0 }), [capacity, 1]);
  const items = reshape(where(hit, written, reshape(buffer.items, [capacity, width])), buffer.items.shape);
  const moved = add(buffer.next, m);
  return {
    items,
    filled: minimum(add(buffer.filled, m), capacity),
    next: sub(moved, mul(compare(moved, capacity, 'ge'), capacity)),
  };
}
