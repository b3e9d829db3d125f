import type { Tensor } from '../core/tensor.js';
import { spectralSigma } from '../nn/spectral.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isTensorLike = (x: unknown): x is Tensor => isObject(x) && Array.isArray(x.shape);

/**
 * σ = uᵀWv of every spectrally normalised layer in a network, keyed `<prefix>.<path>` where the
 * path follows the params/state nesting (`d.0` is the first layer of a sequential D). An SN
 * layer is found by its state `{ inner, u, v }` (nn.spectralNorm's) next to params holding
 * `weight`. Computed with ops, on the vectors and weights given.
 */
export function spectralSigmas(prefix: string, params: unknown, state: unknown): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const walk = (p: unknown, s: unknown, path: string): void => {
    if (Array.isArray(s)) {
      s.forEach((c, i) => walk(Array.isArray(p) ? p[i] : undefined, c, `${path}.${i}`));
      return;
    }
    if (!isObject(s)) return;
    if ('inner' in s && isTensorLike(s.u) && isTensorLike(s.v) && isObject(p) && isTensorLike(p.weight)) {
      out[`sigma/${path}`] = spectralSigma(p.weight, { u: s.u, v: s.v });
      return;
    }
    for (const k of Object.keys(s).sort()) walk(isObject(p) ? p[k] : undefined, s[k], `${path}.${k}`);
  };
  walk(params, state, prefix);
  return out;
}
