import { ValueError } from '../core/errors.js';
import { scalar, type Tensor } from '../core/tensor.js';
import { frechetDistance } from '../metrics/frechet.js';
import { kernelDistance } from '../metrics/kernel_distance.js';
import type { ReferenceCase } from './cases.js';
import type { Tolerance } from './compare.js';
import type { CaseResult } from './runners.js';

/**
 * Runners of the `metrics/` reference cases: `frechet_distance` and `kernel_distance` on
 * feature sets `a`, `b` `[n, d]`, expected `outputs.value` (float64 results in the cases).
 * Both metrics are computed in float64, so they are held to a float64-grade tolerance,
 * |ours − ref| ≤ 1e-6 · max(|ref|, s) with s = 1 for FD and 1e-3 for KID — 100× tighter than
 * the cases' own notes (1e-4) and 50× above the spread of two exact methods on singular
 * covariances (the √ε error of any matrix square root near rank deficiency, about 2e-8).
 */
export const METRIC_TOLERANCE: Readonly<Record<'frechet_distance' | 'kernel_distance', Tolerance>> = {
  frechet_distance: { rtol: 1e-6, floor: 0, minScale: 1 },
  kernel_distance: { rtol: 1e-6, floor: 0, minScale: 1e-3 },
};

function features(c: ReferenceCase, name: string): Tensor {
  const t = c.inputs[name];
  if (t === undefined) throw new ValueError(`case ${c.name} (${c.op}) has no input "${name}"`);
  return t;
}

function kernelOf(c: ReferenceCase): { degree?: number; gamma?: number; coef0?: number } {
  const pick = (k: string): number | undefined => (typeof c.attrs[k] === 'number' ? (c.attrs[k] as number) : undefined);
  const degree = pick('degree');
  const gamma = pick('gamma');
  const coef0 = pick('coef0');
  return { ...(degree !== undefined ? { degree } : {}), ...(gamma !== undefined ? { gamma } : {}), ...(coef0 !== undefined ? { coef0 } : {}) };
}

export const metricRunners: Readonly<Record<string, (c: ReferenceCase) => CaseResult>> = {
  frechet_distance: (c) => ({
    outputs: { value: scalar(frechetDistance(features(c, 'a'), features(c, 'b'))) },
    grads: {},
    tolerance: METRIC_TOLERANCE.frechet_distance,
  }),
  kernel_distance: (c) => ({
    outputs: { value: scalar(kernelDistance(features(c, 'a'), features(c, 'b'), kernelOf(c))) },
    grads: {},
    tolerance: METRIC_TOLERANCE.kernel_distance,
  }),
};
