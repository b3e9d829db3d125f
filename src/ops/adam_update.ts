import type { AdamStepSpec } from '../backend/backend.js';
import { ShapeError } from '../core/errors.js';
import { shapesEqual, sizeOf, type Tensor } from '../core/tensor.js';
import { bind } from './dispatch.js';

/** The four tensors of each leaf of one fused Adam step, leaf i of each list going together. */
export type AdamLeaves = Readonly<{ params: readonly Tensor[]; grads: readonly Tensor[]; mu: readonly Tensor[]; nu: readonly Tensor[] }>;

/** This step's scalars as 0-d tensors (computed with ops from the step count, so a jitted step traces them). */
export type AdamScalars = Readonly<{ c1: Tensor; c2: Tensor; lr: Tensor }>;

/** The hyperparameters: static for the life of an optimiser (baked into a jitted graph). */
export type AdamHyperparams = Readonly<Omit<AdamStepSpec, 'c1' | 'c2' | 'lr'>>;

/**
 * One Adam step over every leaf in a single kernel call (the `adamUpdate` primitive; the rule
 * is `Backend.adamUpdate`'s): params, grads and moments `[...shape_i]` → p'_i, m'_i, v'_i of
 * the same shapes. The kernel returns one packed `[3·total]` result; each output is a view
 * of it (`packedPart`), so a step is one pass over memory and no copies. Not differentiable
 * (see `adam`'s `fused` option).
 */
export function adamUpdate(leaves: AdamLeaves, scalars: AdamScalars, hyper: AdamHyperparams): { params: Tensor[]; mu: Tensor[]; nu: Tensor[] } {
  const { params, grads, mu, nu } = leaves;
  const k = params.length;
  if (grads.length !== k || mu.length !== k || nu.length !== k) {
    throw new ShapeError(`adamUpdate needs as many grads and moments as params (${k}), got ${grads.length}, ${mu.length} and ${nu.length}`);
  }
  params.forEach((p, i) => {
    for (const [name, t] of [['grad', grads[i]!], ['m', mu[i]!], ['v', nu[i]!]] as const) {
      if (!shapesEqual(p.shape, t.shape)) throw new ShapeError(`adamUpdate: leaf ${i}'s ${name} differs in shape from its param`, { param: p.shape, [name]: t.shape });
    }
  });
  for (const [name, t] of Object.entries(scalars)) {
    if (t.shape.length !== 0) throw new ShapeError(`adamUpdate: ${name} must be a 0-d tensor`, { [name]: t.shape });
  }
  if (k === 0) return { params: [], mu: [], nu: [] };
  const packed = bind('adamUpdate', [scalars.c1, scalars.c2, scalars.lr, ...params, ...grads, ...mu, ...nu], hyper);
  const total = params.reduce((acc, p) => acc + sizeOf(p.shape), 0);
  const parts = (section: number): Tensor[] => {
    let offset = section * total;
    return params.map((p) => {
      const part = bind('packedPart', [packed], { offset, shape: p.shape });
      offset += sizeOf(p.shape);
      return part;
    });
  };
  return { params: parts(0), mu: parts(1), nu: parts(2) };
}
