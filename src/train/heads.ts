import type { Tensor } from '../core/tensor.js';
import { crossEntropy, oneHot } from '../ops/activations.js';
import { add, compare, mul, square, sub } from '../ops/elementwise.js';
import { max, mean, sum } from '../ops/reduce.js';
import { slice } from '../ops/shape.js';
import type { OutputLayout } from './techniques.js';

/** D's output `[N, W]` cut into its blocks (layout of `OutputLayout`); without heads, `adv` is the whole output. */
export type DOutputs = Readonly<{ adv: Tensor; classes?: Tensor; categorical: readonly Tensor[]; continuous?: Tensor }>;

export function splitOutputs(out: Tensor, layout: OutputLayout): DOutputs {
  if (layout.classes === 0 && layout.categorical.length === 0 && layout.continuous === 0) return { adv: out, categorical: [] };
  let at = 1;
  const take = (k: number): Tensor => {
    const t = slice(out, [0, at], [out.shape[0]!, at + k]);
    at += k;
    return t;
  };
  const adv = slice(out, [0, 0], [out.shape[0]!, 1]);
  const classes = layout.classes > 0 ? take(layout.classes) : undefined;
  const categorical = layout.categorical.map(take);
  const continuous = layout.continuous > 0 ? take(layout.continuous) : undefined;
  return { adv, categorical, ...(classes ? { classes } : {}), ...(continuous ? { continuous } : {}) };
}

/** ACGAN's auxiliary loss: CE(class logits `[N, K]`, labels `[N]`). */
export const auxiliaryLoss = (logits: Tensor, labels: Tensor): Tensor => crossEntropy(logits, oneHot(labels, logits.shape[1]!));

/** Fraction of samples whose largest class logit is their label's (ties count for every tied class). */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  const top = compare(logits, max(logits, { axis: 1, keepDims: true }), 'ge');
  return mean(sum(mul(top, oneHot(labels, logits.shape[1]!)), { axis: 1 }));
}

/**
 * InfoGAN's mutual-information loss L_I for codes `[N, Σ categorical + continuous]` (the tail of
 * G's input): Σ_i CE(Q_cat_i, c_cat_i) + ½·mean_n Σ_j (Q_cont_j − c_cont_j)².
 */
export function infoLoss(q: DOutputs, codes: Tensor, layout: OutputLayout): Tensor {
  const n = codes.shape[0]!;
  let at = 0;
  let total: Tensor | undefined;
  const plus = (t: Tensor): void => {
    total = total === undefined ? t : add(total, t);
  };
  layout.categorical.forEach((k, i) => {
    plus(crossEntropy(q.categorical[i]!, slice(codes, [0, at], [n, at + k])));
    at += k;
  });
  if (q.continuous !== undefined) {
    const c = slice(codes, [0, at], [n, at + layout.continuous]);
    plus(mul(mean(sum(square(sub(q.continuous, c)), { axis: 1 })), 0.5));
  }
  return total!;
}

