import { treeLeaves, treeZipWith } from '../core/pytree.js';
import { item, scalar, type Tensor } from '../core/tensor.js';
import { concrete } from '../ops/dispatch.js';
import { add, equal, sqrt, square, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/**
 * 1 where the 0-d x is finite, else 0, as a 0-d tensor: x − x is 0 for a finite x and NaN for
 * NaN or ±∞, and NaN = 0 is false. Built from ops, so a traced step can use it.
 */
export const isFiniteScalar = (x: Tensor): Tensor => equal(sub(x, x), 0);

/**
 * `where(cond, next, prev)` leafwise over two trees of the same structure, cond a 0-d 0/1
 * tensor: the whole of `next` where cond is 1, the whole of `prev` (bit for bit) where it is 0.
 *
 * Number leaves (step counts of optimisers whose state still holds plain numbers) cannot go
 * through `where`; equal ones are kept and differing ones are chosen on the host.
 */
export function selectTree<T>(cond: Tensor, next: T, prev: T): T {
  return treeZipWith(([n, p]) => {
    if (typeof n !== 'number' && typeof p !== 'number') return where(cond, n!, p!);
    if (n === p) return n!;
    return item(concrete(cond)) !== 0 ? n! : p!;
  }, next, prev);
}

/** √(Σ over the tensor leaves of Σ x²): the global L2 norm of a gradient tree, a 0-d tensor. */
export function treeNorm(tree: unknown): Tensor {
  let ss: Tensor = scalar(0);
  for (const l of treeLeaves(tree)) if (typeof l !== 'number') ss = add(ss, sum(square(l)));
  return sqrt(ss);
}
