import { ShapeError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { foldIn, permutation, type Key } from '../core/random.js';
import { tensor, type Tensor } from '../core/tensor.js';

/**
 * Shuffled epochs as a pure value. The iterator is plain data (a key and three numbers), so it
 * goes into a checkpoint with the train state, and a resumed run draws exactly the batches the
 * uninterrupted run would have:
 *
 *     order(epoch) = permutation(foldIn(key, epoch), size)
 *     batch        = order(epoch)[position .. position + batchSize)
 *
 * With `dropLast` (the default, as GAN training usually does, so every batch has the same
 * shape), a batch that would run past the end of the epoch is skipped and the next epoch
 * starts; without it the last batch of an epoch is shorter.
 */
export type EpochIterator = Readonly<{
  key: Key;
  /** Number of examples. */
  size: number;
  batchSize: number;
  dropLast: boolean;
  epoch: number;
  /** Index, in this epoch's order, of the next batch's first example. */
  position: number;
}>;

export type EpochIteratorOptions = Readonly<{ key: Key; size: number; batchSize: number; dropLast?: boolean }>;

/** A fresh iterator at epoch 0, position 0. Throws ValueError for sizes that give no batch. */
export function epochIterator(opts: EpochIteratorOptions): EpochIterator {
  checkOptions('epochIterator', opts, { key: true, size: true, batchSize: true, dropLast: true });
  const dropLast = opts.dropLast ?? true;
  if (!Number.isSafeInteger(opts.size) || opts.size < 1) throw new ValueError(`a data iterator needs at least one example, got size ${opts.size}`);
  if (!Number.isSafeInteger(opts.batchSize) || opts.batchSize < 1) throw new ValueError(`batch size must be a positive integer, got ${opts.batchSize}`);
  if (dropLast && opts.batchSize > opts.size) {
    throw new ValueError(`batch size ${opts.batchSize} exceeds the ${opts.size} examples, so dropping the last partial batch leaves none`);
  }
  return Object.freeze({ key: opts.key, size: opts.size, batchSize: opts.batchSize, dropLast, epoch: 0, position: 0 });
}

let memo: { k0: number; k1: number; epoch: number; size: number; order: Int32Array } | undefined;

/** The order of the examples in an epoch (memoised for the last epoch asked). */
export function epochOrder(key: Key, epoch: number, size: number): Int32Array {
  if (memo && memo.k0 === key[0] && memo.k1 === key[1] && memo.epoch === epoch && memo.size === size) return memo.order;
  const order = permutation(foldIn(key, epoch), size);
  memo = { k0: key[0], k1: key[1], epoch, size, order };
  return order;
}

/** The next batch's example indices and the iterator after it. */
export function nextBatch(it: EpochIterator): [Int32Array, EpochIterator] {
  let { epoch, position } = it;
  if (position >= it.size || (it.dropLast && position + it.batchSize > it.size)) {
    epoch += 1;
    position = 0;
  }
  const end = Math.min(position + it.batchSize, it.size);
  const indices = epochOrder(it.key, epoch, it.size).slice(position, end);
  return [indices, Object.freeze({ ...it, epoch, position: end })];
}

/**
 * Rows `indices` of each tensor (gathered along the first axis):
 * `x: [N, ...rest] → [B, ...rest]` for B = indices.length.
 */
export function takeRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  const n = x.shape[0];
  if (n === undefined) throw new ShapeError('takeRows needs a tensor with a first axis', { x: x.shape });
  const row = x.data.length / Math.max(n, 1);
  const out = new Float32Array(indices.length * row);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new ShapeError(`row index ${j} is outside [0, ${n})`, { x: x.shape });
    out.set(x.data.subarray(j * row, (j + 1) * row), i * row);
  }
  return tensor([indices.length, ...x.shape.slice(1)], out);
}
