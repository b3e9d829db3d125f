import type { Tensor } from '../core/tensor.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isTensorLike = (x: unknown): x is Tensor => isObject(x) && Array.isArray(x.shape);

/**
 * σ of every spectrally normalised layer in a network's state, keyed `sigma/<prefix>.<path>`
 * where the path follows the state's nesting (`sigma/d.0` for the first layer of a sequential
 * D). An SN layer is found by its state `{ inner, u, v, sigma }` (`nn.spectralNorm`'s), whose σ
 * is uᵀWv from its last refresh.
 */
export function spectralSigmas(prefix: string, state: unknown): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  const walk = (s: unknown, path: string): void => {
    if (Array.isArray(s)) s.forEach((c, i) => walk(c, `${path}.${i}`));
    else if (isObject(s) && !isTensorLike(s)) {
      if ('inner' in s && isTensorLike(s.u) && isTensorLike(s.v) && isTensorLike(s.sigma)) out[`sigma/${path}`] = s.sigma;
      else for (const k of Object.keys(s).sort()) walk(s[k], `${path}.${k}`);
    }
  };
  walk(state, prefix);
  return out;
}
