import { ValueError } from '../core/errors.js';
import { treeZipWith } from '../core/pytree.js';
import type { Tensor } from '../core/tensor.js';
import { equal, sub, where } from '../ops/elementwise.js';

/**
 * 1 where the 0-d x is finite, else 0, as a 0-d tensor: x − x is 0 for a finite x and NaN for
 * NaN or ±∞, and NaN = 0 is false. Built from ops, so a traced step can use it.
 */
export const isFiniteScalar = (x: Tensor): Tensor => equal(sub(x, x), 0);

/**
 * `where(cond, next, prev)` leafwise over two trees of the same structure, cond a 0-d 0/1
 * tensor: the whole of `next` where cond is 1, the whole of `prev` (bit for bit) where it is 0.
 * Number leaves are constants of the structure and must be equal in both trees (anything that
 * changes from step to step is a tensor, so it can be selected without a host read).
 */
export function selectTree<T>(cond: Tensor, next: T, prev: T): T {
  return treeZipWith(
    (n, p) => {
      // The same tensor on both sides (state a step passes through) needs no pass over it.
      if (typeof n !== 'number' && typeof p !== 'number') return n === p ? n : where(cond, n, p);
      if (n === p) return n;
      throw new ValueError(`a number leaf changed in a step (${String(p)} → ${String(n)}); state that changes must be held in tensors`);
    },
    next,
    prev,
  );
}
