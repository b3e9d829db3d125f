import { ShapeError, ValueError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/**
 * Class probabilities p(y|x) `[n, C]` from a classifier, checked: rows of non-negative values
 * summing to 1 within 1e-3 (float32 softmax output passes). Returned as float64 rows.
 */
export function checkProbabilities(p: Tensor, what = 'probabilities'): { n: number; classes: number; data: Float64Array } {
  if (p.shape.length !== 2 || p.shape[0]! < 1 || p.shape[1]! < 1) {
    throw new ShapeError(`${what} must be class probabilities [n, C] with n, C ≥ 1`, { [what]: p.shape });
  }
  const [n, classes] = p.shape as [number, number];
  const data = Float64Array.from(p.data);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const v = data[i * classes + c]!;
      if (!(v >= 0)) throw new ValueError(`${what}[${i}, ${c}] = ${v}: probabilities must be non-negative numbers (apply softmax to logits first)`);
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) throw new ValueError(`${what} row ${i} sums to ${s}, not 1 (apply softmax to logits first)`);
  }
  return { n, classes, data };
}

/** The predicted class of each row, argmax_y p(y|x): `[n, C]` → n labels. */
export function predictedClasses(p: Tensor): Int32Array {
  const { n, classes, data } = checkProbabilities(p);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[i * classes + c]! > data[i * classes + best]!) best = c;
    out[i] = best;
  }
  return out;
}

/**
 * The "MNIST score", the Inception score (Salimans et al. 2016) with an MNIST classifier:
 *
 *     score = exp(E_x KL(p(y|x) ‖ p(y))),  p(y) = E_x p(y|x)
 *
 * over all n rows of p `[n, C]` (one split), with 0·log 0 = 0. It lies in [1, C]: C when every
 * sample is classified confidently and the classes are used equally, 1 when every sample has
 * the same class distribution.
 */
export function mnistScore(p: Tensor): number {
  const { n, classes, data } = checkProbabilities(p);
  const marginal = new Float64Array(classes);
  for (let i = 0; i < n; i++) for (let c = 0; c < classes; c++) marginal[c]! += data[i * classes + c]! / n;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < classes; c++) {
      const v = data[i * classes + c]!;
      if (v > 0) kl += v * (Math.log(v) - Math.log(marginal[c]!));
    }
  }
  return Math.exp(kl / n);
}

/**
 * Class agreement of a conditional generator: the fraction of samples whose predicted class,
 * argmax_y p(y|x) of p `[n, C]`, is the class requested for them (`requested`, n integer ids in
 * [0, C)). 1 when the classifier reads every sample as its label; about 1/C when G ignores it.
 */
export function classAgreement(p: Tensor, requested: ArrayLike<number>): number {
  const predicted = predictedClasses(p);
  const classes = p.shape[1]!;
  if (requested.length !== predicted.length) {
    throw new ShapeError(`class agreement needs one requested class per sample: ${predicted.length} samples, ${requested.length} classes`, { p: p.shape });
  }
  let agree = 0;
  for (let i = 0; i < predicted.length; i++) {
    const y = requested[i]!;
    if (!Number.isInteger(y) || y < 0 || y >= classes) throw new ValueError(`requested class ${i} is ${y}: class ids must be integers in [0, ${classes})`);
    if (predicted[i] === y) agree++;
  }
  return agree / predicted.length;
}
