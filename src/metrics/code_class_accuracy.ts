import { ShapeError, ValueError } from '../core/errors.js';
import { minCostAssignment } from './assignment.js';

/**
 * How well an unsupervised categorical code captures the classes (InfoGAN's digit code): the
 * accuracy of the classifier's predictions against the codes after the best one-to-one matching
 * of code values to classes,
 *
 *     accuracy = max_σ (1/n) Σ_i [predicted_i = σ(code_i)],  σ: code values → classes injective,
 *
 * found as a minimum-cost assignment (Hungarian algorithm) on the negated `[codes, classes]`
 * count matrix, padded square with zeros when the numbers differ (a code value or a class left
 * unmatched scores nothing). `codes` and `predicted` hold n integer ids in [0, codeValues) and
 * [0, classes). Returns the accuracy, `matching[k]` = the class of code value k (−1 when a code
 * value has no class), and the counts `[codes, classes]` row-major.
 */
export function codeClassAccuracy(
  o: Readonly<{ codes: ArrayLike<number>; predicted: ArrayLike<number>; codeValues: number; classes: number }>,
): Readonly<{ accuracy: number; matching: Int32Array; counts: Float64Array }> {
  const n = o.codes.length;
  if (n === 0 || o.predicted.length !== n) {
    throw new ShapeError(`codeClassAccuracy needs one predicted class per code, n >= 1: ${n} codes, ${o.predicted.length} predictions`, { codes: [n], predicted: [o.predicted.length] });
  }
  const ids = (what: string, xs: ArrayLike<number>, k: number): void => {
    if (!Number.isInteger(k) || k < 1) throw new ValueError(`${what}: the number of values must be an integer >= 1, got ${k}`);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      if (!Number.isInteger(x) || x < 0 || x >= k) throw new ValueError(`${what}[${i}] is ${x}: ids must be integers in [0, ${k})`);
    }
  };
  ids('codes', o.codes, o.codeValues);
  ids('predicted', o.predicted, o.classes);
  const counts = new Float64Array(o.codeValues * o.classes);
  for (let i = 0; i < n; i++) counts[o.codes[i]! * o.classes + o.predicted[i]!]! += 1;
  const m = Math.max(o.codeValues, o.classes);
  const cost = new Float64Array(m * m);
  for (let k = 0; k < o.codeValues; k++) for (let c = 0; c < o.classes; c++) cost[k * m + c] = -counts[k * o.classes + c]!;
  const { assigned, total } = minCostAssignment(cost, m);
  const matching = Int32Array.from({ length: o.codeValues }, (_, k) => (assigned[k]! < o.classes ? assigned[k]! : -1));
  return { accuracy: -total / n, matching, counts };
}
