import { ShapeError, ValueError } from '../core/errors.js';
import { isTensor, tensor, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';
import { compare, exp, greater, minimum, mul, neg, softplus, sub, where } from './elementwise.js';
import { logSumExp, mean, sum, variance } from './reduce.js';
import { normAxis, reshape } from './shape.js';

/** max(x, 0); gradient 0 at x = 0 (as PyTorch). */
export const relu = (x: Tensor): Tensor => bind('leakyRelu', [x], { slope: 0 });

/** x for x > 0, slope·x otherwise (DCGAN's discriminator uses slope 0.2); gradient `slope` at 0 as PyTorch. */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  if (!Number.isFinite(slope)) throw new ValueError(`leaky relu slope must be finite, got ${slope}`);
  return bind('leakyRelu', [x], { slope });
}

/** x for x > 0, α(eˣ − 1) otherwise; the exponential sees min(x, 0) so no branch overflows. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return where(greater(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha));
}

/** log σ(x) = −softplus(−x), stable for large |x|. */
export const logSigmoid = (x: Tensor): Tensor => neg(softplus(neg(x)));

/** log softmax along `axis` (default last): x − logΣexp(x). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return sub(x, logSumExp(x, { axis, keepDims: true }));
}

/** softmax along `axis` (default last). */
export const softmax = (x: Tensor, axis = -1): Tensor => exp(logSoftmax(x, axis));

/**
 * One-hot rows `[N, classes]` of class ids: out[n, c] = (labels[n] == c), built as
 * compare(labels `[N, 1]`, iota `[1, classes]`, 'eq') so it traces without reading data.
 * Labels as a Tensor `[N]` (float class ids) are not checked: an id outside 0..classes − 1 or
 * not an integer gives a zero row. Labels as host numbers are checked (a ValueError names the
 * first bad one).
 */
export function oneHot(labels: Tensor | ArrayLike<number>, classes: number): Tensor {
  if (!Number.isInteger(classes) || classes < 1) throw new ValueError(`oneHot needs a positive integer number of classes, got ${classes}`);
  const ids = isTensor(labels) ? labels : hostLabels(labels, classes);
  if (ids.shape.length !== 1) throw new ShapeError('oneHot labels must be a vector [N]', { labels: ids.shape });
  const iota = tensor([1, classes], Float32Array.from({ length: classes }, (_, c) => c));
  return compare(reshape(ids, [ids.shape[0]!, 1]), iota, 'eq');
}

function hostLabels(labels: ArrayLike<number>, classes: number): Tensor {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes) {
      throw new ValueError(`label ${l} at index ${i} is not an integer in [0, ${classes})`);
    }
  }
  return tensor([labels.length], Float32Array.from(labels));
}

/**
 * Mean cross-entropy of logits `[N, classes]` against integer labels (length N) or target
 * probabilities `[N, classes]`: −mean Σ target · log_softmax(logits).
 */
export function crossEntropy(logits: Tensor, target: ArrayLike<number> | Tensor): Tensor {
  if (logits.shape.length !== 2) throw new ShapeError('crossEntropy logits must be [N, classes]', { logits: logits.shape });
  const [n, classes] = logits.shape as [number, number];
  const t = isTensor(target) ? target : oneHot(target, classes);
  if (t.shape[0] !== n || t.shape[1] !== classes) {
    throw new ShapeError('crossEntropy target must match the logits', { logits: logits.shape, target: t.shape });
  }
  return neg(mean(sum(mul(t, logSoftmax(logits, 1)), { axis: 1 })));
}

/**
 * Per-channel batch statistics of x `[N, C, ...]` over every axis but 1: mean and biased
 * variance, both shaped `[1, C, 1, ...]` for broadcasting (what batch norm normalises with).
 */
export function batchStats(x: Tensor): { mean: Tensor; variance: Tensor } {
  if (x.shape.length < 2) throw new ShapeError('batchStats needs [N, C, ...]', { x: x.shape });
  const axes = x.shape.map((_, i) => i).filter((i) => i !== normAxis(1, x.shape.length));
  return {
    mean: mean(x, { axis: axes, keepDims: true }),
    variance: variance(x, { axis: axes, keepDims: true, correction: 0 }),
  };
}
